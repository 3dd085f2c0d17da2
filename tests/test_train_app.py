"""The correction loop in the app, through gradio_client: train the dataset's own model in a
child process (one at a time), follow it, stop it, pre-label with it (edited and reviewed
items untouched), and walk the least sure items first. Tiny images: seconds of training.

Each child costs a Python and torch start: the default run starts two (train, busy and stop in
one; a child that fails), the full run (--all) also trains one to its end and pre-labels with it."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import serve_app
from segcore import open_dataset
from segcore.dataset.prelabel import least_sure_first
from segcore.train.job import TrainingBusy, start_training, trained_models, wait_for
from test_train import colour_dataset


def status_of(c) -> dict:
    return json.loads(c.predict(api_name="/train_status"))


def wait_done(c, timeout=240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st = status_of(c)
        if st["state"] != "running" or time.monotonic() > deadline:
            return st
        time.sleep(0.5)


@pytest.fixture(scope="module")
def loop_app(tmp_path_factory):
    """The app on 8 colour scenes: 3 reviewed, 1 edited, 1 predicted, 3 unlabelled."""
    folder = tmp_path_factory.mktemp("loop") / "colours"
    ds = colour_dataset(folder, n=8, h=64, w=96)
    for i in (0, 1, 2):
        ds.set_status(i, "reviewed")
    ds.write_labels(4, ds.read_labels(4), status="predicted")
    for i in (5, 6, 7):
        (folder / "SegmentationClass" / f"{ds.names[i]}.png").unlink()
    with serve_app(folder) as url:
        yield url, folder


def label_bytes(folder, name):
    return (folder / "SegmentationClass" / f"{name}.png").read_bytes()


@pytest.mark.slow
def test_train_then_prelabel_with_the_new_model(loop_app):
    url, folder = loop_app
    c = Client(url, verbose=False)
    assert status_of(c)["state"] == "none"
    kept = {n: label_bytes(folder, n) for n in ("im0", "im1", "im2", "im3")}   # reviewed and edited
    raw, md = c.predict(model_name="fpn_resnet18", minutes=0, include=["reviewed", "edited"], epochs=3,
                        held_out=0.25, api_name="/train")
    st = json.loads(raw)
    assert st["state"] == "running" and st["model"] == "trained:fpn_resnet18-1" and "running" in md
    # A second request while it runs starts nothing (the app says what is running).
    with pytest.raises(AppError, match="runs on this dataset already"):
        c.predict(model_name="pspnet_resnet18", minutes=1, include=["reviewed"], api_name="/train")
    st = wait_done(c)
    assert st["state"] == "done", st
    assert st["epoch"] == 3 and st["loss"] > 0 and 0 <= st["val_miou"] <= 1
    models = sorted(p.name for p in (folder / ".segcore" / "models").glob("*.json"))
    assert models == ["fpn_resnet18-1.json"]
    assert (folder / ".segcore" / "models" / "fpn_resnet18-1.pth").is_file()

    _, files, status = c.predict(model_name=st["model"], weights=None, scope="unlabelled and predicted",
                                 api_name="/prelabel")
    ds = open_dataset(folder)
    assert [ds.status(i) for i in range(8)] == ["reviewed"] * 3 + ["edited"] + ["predicted"] * 4
    assert all(label_bytes(folder, n) == b for n, b in kept.items())
    for i in range(4, 8):
        info = ds.item_info(i)
        assert info["model"] == "trained:fpn_resnet18-1" and 0 < info["confidence"] <= 1
    assert ds.read_labels(5).shape == (64, 96) and set(np.unique(ds.read_labels(5))) <= {0, 1, 2}
    raw = json.loads((folder / ".segcore" / "status.json").read_text())
    assert set(raw["info"]) == {"im4", "im5", "im6", "im7"}
    assert "predicted by trained:fpn_resnet18-1" in files      # the file list's tooltips say which model

    # Least sure first: the file list and Next not reviewed follow the recorded confidence.
    order = [ds.names[i] for i in least_sure_first(ds, ("predicted",))]
    _, files, _ = c.predict("least sure first", api_name="/review_order")
    listed = [n for n in files.split("</span> ")[1:]]
    assert [x.split("<")[0] for x in listed][:4] == order
    c.predict("im3.png", api_name="/open_item")
    seen = []
    for _ in range(4):
        _, _, status = c.predict(api_name="/next_not_reviewed")
        seen.append(status.split("**")[1])
    assert seen == order
    picture = c.predict(threshold=0.9, api_name="/uncertain")
    assert picture and picture.endswith(".png")
    # On the canvas: a magenta layer exactly where the recorded confidence is below 0.9.
    import base64
    import io

    from PIL import Image

    from segcore.dataset.prelabel import uncertain_pixels

    value, _, status = c.predict(True, 0.9, api_name="/show_uncertain")
    layer = np.asarray(Image.open(io.BytesIO(base64.b64decode(value["uncertain"].split(",", 1)[1]))))
    i = ds.index_of(status.split("**")[1])
    assert np.array_equal(layer == 1, uncertain_pixels(open_dataset(folder), i, 0.9))
    value, _, _ = c.predict(False, 0.9, api_name="/show_uncertain")
    assert value["uncertain"] is None


def test_stop_keeps_the_best_checkpoint(loop_app):
    """One child for train, busy and stop: while it runs, a second training is refused by the
    library as by the app; stopped, it keeps its best checkpoint."""
    url, folder = loop_app
    c = Client(url, verbose=False)
    raw, _ = c.predict(model_name="pspnet_resnet18", minutes=5, include=["reviewed"], epochs=0, held_out=0.34,
                       api_name="/train")
    name = json.loads(raw)["model"]
    with pytest.raises(TrainingBusy, match=r"a training runs on this dataset already: trained:pspnet_resnet18-1"):
        start_training(open_dataset(folder), model="fpn_resnet18", minutes=1, statuses=["reviewed"])
    with pytest.raises(AppError, match="runs on this dataset already"):
        c.predict(model_name="fpn_resnet18", minutes=1, include=["reviewed"], api_name="/train")
    deadline = time.monotonic() + 180
    while status_of(c)["epoch"] < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    raw, md = c.predict(api_name="/stop_training")
    st = json.loads(raw)
    assert st["state"] == "stopped" and st["model"] == name and st["epoch"] >= 2
    ds = open_dataset(folder)
    assert name in [m.name for m in trained_models(ds)]
    assert json.loads(c.predict(api_name="/train_status"))["state"] == "stopped"


def test_one_training_at_a_time_and_clear_refusals(tmp_path):
    """Requests refused before any child starts. (A second training while one runs is refused:
    test_stop_keeps_the_best_checkpoint, whose child the app starts and stops with the library's
    start_training and stop_training.)"""
    ds = colour_dataset(tmp_path / "d", n=4)
    with pytest.raises(Exception, match="0 items are reviewed: label at least 2"):
        start_training(ds, model="fpn_resnet18", minutes=1, statuses=["reviewed"])
    with pytest.raises(Exception, match="no network to train"):
        start_training(ds, model="grabcut", minutes=1)


def test_a_child_that_dies_is_reported_failed(tmp_path):
    ds = colour_dataset(tmp_path / "d", n=4)
    (tmp_path / "d" / "im1.png").write_bytes(b"not an image")     # the child cannot read it
    start_training(ds, model="fpn_resnet18", epochs=1, statuses=["edited"], size=64)
    st = wait_for(ds, 120)
    assert st["state"] == "failed" and "im1" in st["message"]
