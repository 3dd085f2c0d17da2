"""The one registry and its one resolver: what each entry can do, and what ``auto`` picks for
each task (a dataset's own model, the classes it knows, the weights at hand, a download where
the network allows, GrabCut meanwhile), with the one line a user reads when weights are missing."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import ROOT, run_cli
from segcore.errors import ModelError, WeightsError
from segcore.labels import LabelSet
from segcore.models import registry
from segcore.models.registry import CONCEPTS, PROMPT, SEGMENT, ModelSpec, Weights, get, names, register
from segcore.models.resolve import load, obtain, resolve
from segcore.models.weights import checkpoint_dir, identify

MODELS = ROOT.parent / "shared" / "models"


@pytest.fixture
def cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    folder = checkpoint_dir()
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def selfie_cached(cache_dir):
    src = MODELS / "selfie_segmentation.tflite"
    if not src.is_file():
        pytest.skip("../shared/models is absent")
    shutil.copy(src, cache_dir / src.name)
    return cache_dir / src.name


def test_every_entry_says_what_it_can_do_and_auto_only_names_those():
    assert set(names()) == set(names(SEGMENT)) | set(names(PROMPT)) | set(names(CONCEPTS))
    for name in names():
        spec = get(name)
        assert spec.can and spec.can <= {SEGMENT, PROMPT, CONCEPTS} and set(spec.auto) <= spec.can
        for w in spec.weights:
            assert w.tag in registry.TAGS
    assert {"segment", "prompt"} == get("grabcut").can and get("mobile_sam").can == {"prompt"}
    assert get("selfie").objects == ("person",) and get("deeplabv3_resnet50").can == {"segment"}
    with pytest.raises(ModelError, match="mobile_sam cannot segment a whole image"):
        get("mobile_sam", SEGMENT)


def test_cli_models_lists_each_entry_with_what_it_can_do():
    r = run_cli("models", "--json")
    assert r.returncode == 0, r.stderr
    cards = {c["name"]: c for c in json.loads(r.stdout)}
    assert set(cards) == set(names())
    assert cards["grabcut"]["can"] == ["segment", "prompt"] and cards["grabcut"]["state"] == "ready"
    assert cards["mobile_sam"]["can"] == ["prompt"] and cards["mobile_sam"]["state"] == "MISSING"
    assert cards["sam2.1_tiny"]["can"] == ["prompt"] and cards["fcn_resnet50"]["can"] == ["segment"]
    r = run_cli("models")
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("selfie "))
    assert "segment,prompt" in row and "person" in row


def test_auto_prompt_offline_is_grabcut_and_says_which_file_where(cache_dir):
    c = resolve("auto", PROMPT)
    assert c.name == "grabcut" and not c.fetch
    assert "mobile_sam.pt" in c.note and str(cache_dir) in c.note and "offline" in c.note
    prompter, used = obtain("auto", PROMPT)
    assert used.name == "grabcut" and prompter.name == "grabcut"


def test_auto_prompt_online_fetches_the_best_with_grabcut_meanwhile(cache_dir, monkeypatch):
    monkeypatch.delenv("SEGCORE_OFFLINE")
    c = resolve("auto", PROMPT, class_name="car")
    assert c.name == "mobile_sam" and c.fetch and c.meanwhile == "grabcut" and c.path is None
    # the download fails (nothing listens there): the meanwhile answers, and the note says why
    monkeypatch.setenv("SEGCORE_WEIGHTS_URL", "http://127.0.0.1:9")
    prompter, used = obtain(c)
    assert used.name == "grabcut" and "cannot be reached" in used.note and "mobile_sam.pt" in used.note


def test_auto_prompt_takes_the_selfie_model_for_a_person_class(selfie_cached):
    assert resolve("auto", PROMPT, class_name="person").name == "selfie"
    assert resolve("auto", PROMPT, class_name="car").name == "grabcut"


def test_explicit_names_never_fall_back(cache_dir):
    with pytest.raises(WeightsError) as e:
        resolve("sam2.1_tiny", PROMPT)
    assert "sam2.1-hiera-tiny.safetensors" in str(e.value) and str(cache_dir) in str(e.value)
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        resolve("nope", PROMPT)


def test_auto_segment_by_shared_classes_then_weights_at_hand(cache_dir, selfie_cached, checkpoints):
    person = LabelSet(("background", "person"))
    assert resolve("auto", SEGMENT, label_set=person).name == "selfie"
    voc = LabelSet.voc()
    assert resolve("auto", SEGMENT, label_set=voc).name == "selfie"   # the one VOC class it knows: person
    shutil.copy(checkpoints("lraspp_mobilenet_v3_large"), cache_dir / "lraspp_mobilenet_v3_large-d234d4ea.pth")
    assert resolve("auto", SEGMENT, label_set=voc).name == "lraspp_mobilenet_v3_large"
    camvid = LabelSet(("sky", "building", "road"))
    assert resolve("auto", SEGMENT, label_set=camvid) is None
    fb = resolve("auto", SEGMENT, label_set=camvid, fallback="grabcut")
    assert fb.name == "grabcut" and "no model knows these classes" in fb.note


def test_auto_segment_takes_the_datasets_own_model_first(tmp_path):
    from segcore.dataset import open_dataset
    from segcore.models.trained import models_dir

    from conftest import scene_dataset

    ds = open_dataset(scene_dataset(tmp_path / "scenes", n=1))
    folder = models_dir(ds)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.json").write_text(json.dumps({"name": "trained:mine", "model": "unet", "started": 1}))
    (folder / "mine.pth").write_bytes(b"")
    c = resolve("auto", SEGMENT, dataset=ds)
    assert c.name == "trained:mine" and c.spec.name == "unet" and c.weights.tag == "trained"
    assert c.path == folder / "mine.pth"


def test_a_file_given_for_auto_goes_to_the_entry_auto_prefers(cache_dir, tmp_path):
    f = tmp_path / "mine.pt"
    f.write_bytes(b"x")
    c = resolve("auto", PROMPT, weights=f)
    assert c.name == "mobile_sam" and c.weights.tag == "user" and c.path == f and not c.fetch


def test_named_weights_serve_an_entry(cache_dir, tmp_path, monkeypatch):
    f = tmp_path / "my_tiny.safetensors"
    f.write_bytes(b"x")
    monkeypatch.setenv("SEGCORE_WEIGHTS", f"sam2.1_tiny={f}")
    c = resolve("sam2.1_tiny", PROMPT)
    assert c.weights.tag == "user" and c.path == f


def test_a_given_file_is_known_by_its_checksum_else_its_name(selfie_cached, tmp_path):
    assert identify(selfie_cached) == ("selfie", True)
    other = tmp_path / "mobile_sam.pt"
    other.write_bytes(b"not the published file")
    assert identify(other) == ("mobile_sam", False)
    anon = tmp_path / "x.pth"
    anon.write_bytes(b"?")
    assert identify(anon) == (None, False) and identify(anon, hint="unet") == ("unet", False)


@pytest.fixture
def concept_entry():
    """A registered concepts entry (what the SAM 3 family file registers), removed afterwards."""
    made = []

    def build(spec, task, path, **kw):
        made.append((task, path, kw.get("weights")))
        return "model"

    spec = register(ModelSpec(name="test_concepts", family="test", can={CONCEPTS}, label_set=None,
                              description="a test entry", builder=build, auto={CONCEPTS: -1},
                              weights=(Weights("published", file_name="tc", url="https://example.invalid/tc",
                                               files=("config.json",), gated="ask for access"),)))
    yield spec, made
    registry._REGISTRY.pop("test_concepts")


def test_a_new_family_registers_and_resolves(concept_entry, cache_dir, tmp_path):
    spec, made = concept_entry
    with pytest.raises(WeightsError) as e:
        resolve("auto", CONCEPTS)
    assert "tc/ (config.json)" in str(e.value) and "offline" in str(e.value)
    folder = tmp_path / "mine"
    folder.mkdir()
    assert load("auto", CONCEPTS, weights=folder) == "model" and made[-1][:2] == (CONCEPTS, folder)
    (cache_dir / "tc").mkdir()
    (cache_dir / "tc" / "config.json").write_text("{}")
    assert resolve("auto", CONCEPTS).path == cache_dir / "tc"
    assert "test_concepts" not in names(SEGMENT) and "test_concepts" in names(CONCEPTS)
