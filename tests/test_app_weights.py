"""A weights file given once serves every panel: the selfie model's published file uploaded under
Model details goes to the weights folder, where the model card, the Portrait panel and the
clicks find it; a file of one's own serves this session. The Portrait panel's default works on
a fresh photo of a dataset without a person class."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from conftest import ROOT, scene_dataset

MODELS = ROOT.parent / "shared" / "models"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A session on a fresh dataset of scenes (classes background, car, person; no labels), with
    a cache folder of its own and Gradio's messages recorded."""
    import gradio as gr

    from demo.session import new_session, serve

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    said = []
    monkeypatch.setattr(gr, "Info", lambda message, *a, **k: said.append(message))
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: said.append(message))
    return new_session(serve(scene_dataset(tmp_path / "scenes", n=2))), said


@pytest.fixture
def selfie_upload(tmp_path):
    src = MODELS / "selfie_segmentation.tflite"
    if not src.is_file():
        pytest.skip("../shared/models is absent")
    up = tmp_path / "gradio" / "abc123" / src.name    # where Gradio keeps an upload
    up.parent.mkdir(parents=True)
    shutil.copy(src, up)
    return up


def test_the_portrait_panel_defaults_to_a_person_model_and_works_on_a_fresh_photo(app):
    from demo import portrait as hp

    app, said = app
    assert hp.person_sources()[0] == hp.AUTO
    picture, png = hp.cutout(app, hp.AUTO, None, "transparent", "#ffffff", None, "guided")
    rgba = np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(png))
    assert rgba.shape[2] == 4 and (rgba[..., 3] > 0).any() and (rgba[..., 3] == 0).any()
    assert not any("has no" in m for m in said)
    assert any("using GrabCut" in m for m in said)           # no person model here: said once


def test_a_published_file_given_once_serves_every_panel(app, selfie_upload):
    from demo import models as hm
    from demo import portrait as hp
    from demo import prompters as hpr
    from demo import weights as hwt
    from segcore.models.weights import checkpoint_dir

    app, said = app
    assert "**missing**" in hm.model_card("selfie", app) or "not here yet" in hm.model_card("selfie", app)
    card, _ = hwt.upload(app, str(selfie_upload), "fcn_resnet50")   # the menu shows another model
    assert (checkpoint_dir() / "selfie_segmentation.tflite").read_bytes() == selfie_upload.read_bytes()
    assert "found on this machine" in hm.model_card("selfie", app)
    assert any("every panel uses it" in m for m in said)
    said.clear()
    hp.cutout(app, hp.AUTO, None, "transparent", "#ffffff", None, "guided")   # the Portrait panel
    assert not any("GrabCut" in m or "missing" in m for m in said), said
    c, _ = hpr.answer(app, "person")                                # clicks on a person
    assert c.name == "selfie"


def test_a_file_of_ones_own_serves_this_session(app, tmp_path):
    from demo import models as hm
    from demo import weights as hwt

    app, _ = app
    own = tmp_path / "my_unet.pth"
    own.write_bytes(b"fine-tuned")
    hwt.upload(app, str(own), "unet")
    assert hwt.given(app) == {"unet": own} and "given in this session" in hm.model_card("unet", app)
