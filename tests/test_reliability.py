"""The bugs found on unseen inputs (issue: reliability), each with the input that showed it."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli

CAMVID = ("sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car",
          "pedestrian", "bicyclist")


def test_ignore_index_outside_the_label_set_is_ignored(shared_data, tmp_path):
    """CamVid: 11 classes in labels.txt, value 11 is its void, passed as --ignore-index 11."""
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(CAMVID) + "\n")
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    rng = np.random.default_rng(0)
    tp = np.zeros(11)
    union = np.zeros(11)
    for p in sorted((shared_data / "camvid-20" / "labels").glob("*.png"))[:4]:
        truth = np.asarray(Image.open(p)).astype(np.uint8)
        assert (truth == 11).any()
        pred = np.where(truth == 11, 3, truth)
        pred = np.where(rng.random(pred.shape) < 0.2, rng.integers(0, 11, pred.shape), pred).astype(np.uint8)
        Image.fromarray(truth).save(gt_dir / p.name)
        Image.fromarray(pred).save(pred_dir / p.name)
        keep = truth != 11
        for c in range(11):
            tp[c] += ((truth == c) & (pred == c) & keep).sum()
            union[c] += (((truth == c) | (pred == c)) & keep).sum()
    r = run_cli("eval", "--gt", str(gt_dir), "--pred", str(pred_dir), "--labels", str(labels),
                "--ignore-index", "11", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    present = union > 0
    assert report["miou"] == pytest.approx(float((tp[present] / union[present]).mean()), abs=1e-9)


def test_a_1x1_image_gives_a_1x1_label_map(tmp_path):
    Image.new("RGB", (1, 1), (10, 200, 30)).save(tmp_path / "dot.png")
    r = run_cli("predict", str(tmp_path / "dot.png"), "--model", "grabcut", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert np.asarray(Image.open(tmp_path / "out" / "dot.png")).shape == (1, 1)


@pytest.fixture
def binary_pair(tmp_path):
    truth = np.zeros((40, 50), np.uint8)
    truth[10:30, 10:40] = 255
    pred = np.zeros((40, 50), np.uint8)
    pred[10:30, 15:40] = 1
    Image.fromarray(truth).save(tmp_path / "gt.png")
    Image.fromarray(pred, mode="P").save(tmp_path / "pred.png")
    (tmp_path / "labels.txt").write_text("background\nperson\n")
    return tmp_path


def test_a_0_255_mask_against_two_classes_is_read_as_binary(binary_pair):
    r = run_cli("eval", "--gt", str(binary_pair / "gt.png"), "--pred", str(binary_pair / "pred.png"),
                "--labels", str(binary_pair / "labels.txt"), "--json")
    assert r.returncode == 0, r.stderr
    assert "255 = person" in r.stderr        # said, never silent
    report = json.loads(r.stdout)
    assert report["per_class"]["person"]["support"] == 600
    assert report["per_class"]["person"]["iou"] == pytest.approx(500 / 600)


def test_a_0_255_mask_against_voc_is_warned_about(binary_pair):
    r = run_cli("eval", "--gt", str(binary_pair / "gt.png"), "--pred", str(binary_pair / "pred.png"),
                "--labels", "voc", "--json")
    assert r.returncode == 0, r.stderr
    assert "only 0 and 255" in r.stderr and "two-class label set" in r.stderr
    # without --labels, the labels.txt beside the masks names the classes
    r = run_cli("eval", "--gt", str(binary_pair / "gt.png"), "--pred", str(binary_pair / "pred.png"), "--json")
    assert r.returncode == 0 and "classes from" in r.stderr and "person" in r.stdout


def test_convert_names_classes_from_the_source(tmp_path):
    r = run_cli("predict", "assets/portrait.jpg", "--model", "grabcut", "--out", str(tmp_path / "p"))
    assert r.returncode == 0, r.stderr
    r = run_cli("convert", str(tmp_path / "p"), "--to", "coco", "--out", str(tmp_path / "c.json"))
    assert r.returncode == 0, r.stderr
    cats = json.loads((tmp_path / "c.json").read_text())["categories"]
    assert [c["name"] for c in cats] == ["foreground"]
    (tmp_path / "p" / "labels.txt").unlink()
    r = run_cli("convert", str(tmp_path / "p"), "--to", "coco", "--out", str(tmp_path / "d.json"))
    assert r.returncode == 1 and "cannot tell the classes" in r.stderr
    assert not (tmp_path / "d.json").exists()


def test_a_user_error_is_one_log_line_and_no_traceback(tmp_path, caplog, monkeypatch):
    import tempfile

    import gradio as gr

    from demo import models as hm
    from demo.session import Seed, serve

    said = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: said.append(message))
    seed = Seed(serve(None))
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with caplog.at_level(logging.INFO, logger="segcore.app"):
        result = hm.segment(seed, str(bad), "grabcut", None)
    # every view keeps its value (gr.skip), the user reads one line
    assert all(isinstance(r, dict) and r.get("__type__") == "update" and len(r) == 1 for r in result)
    records = [r for r in caplog.records if r.name == "segcore.app"]
    assert len(records) == 1 and "\n" not in records[0].getMessage() and len(said) == 1
    # a browser user knows the file by its name, not by Gradio's upload folder
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    upload = tmp_path / "gradio" / "0a1b2c" / "photo.png"
    upload.parent.mkdir(parents=True)
    upload.write_text("not an image")
    hm.segment(seed, str(upload), "grabcut", None)
    assert said[-1].startswith("Photo.png is not an image") or said[-1].startswith("photo.png is not an image")
    assert tempfile.gettempdir() not in said[-1]


def test_offline_never_tries_the_network(monkeypatch):
    import socket

    from segcore import WeightsError, load_model

    def no_network(*a, **k):
        raise AssertionError("tried the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("SEGCORE_OFFLINE", "1")
    with pytest.raises(WeightsError, match="offline"):
        load_model("lraspp_mobilenet_v3_large")


def test_models_load_once_under_threads(monkeypatch):
    import threading

    from segcore.models import cache

    calls = []

    def slow_load(name, task=None, **kw):
        calls.append(name)
        import time
        time.sleep(0.2)
        return object()

    monkeypatch.setattr(cache, "load", slow_load)
    cache.clear()
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.cached_model("grabcut"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(g) for g in got}) == 1
    for k in range(cache.MAX_MODELS + 3):
        cache.cached_model(f"m{k}")
    assert len(cache._models) == cache.MAX_MODELS
    cache.clear()
