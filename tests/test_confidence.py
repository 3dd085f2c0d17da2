"""Pre-labelling records each item's model and confidence in the status file; the least sure
come first; the per-pixel confidence shows the uncertain pixels; a damaged record is ignored."""

from __future__ import annotations

import json

import numpy as np

from conftest import run_cli
from segcore import open_dataset
from segcore.dataset.prelabel import least_sure_first, next_least_sure, prelabel, status_note, uncertain_pixels
from segcore.labels import LabelSet
from segcore.segmentation import Segmentation


class Fixed:
    """A model that predicts class 1 with a chosen confidence per image (by its mean colour)."""

    def __init__(self, label_set):
        self.label_set = label_set

    def predict(self, rgb):
        h, w = rgb.shape[:2]
        conf = np.full((h, w), float(rgb.mean()) / 255, np.float32)
        conf[: h // 2] = 0.3
        return Segmentation(np.ones((h, w), np.uint8), self.label_set, conf)


def grey_folder(folder, levels):
    from PIL import Image

    folder.mkdir()
    for k, v in enumerate(levels):
        Image.fromarray(np.full((20, 30, 3), v, np.uint8)).save(folder / f"g{k}.png")
    (folder / "labels.txt").write_text("background\nthing\n")
    return open_dataset(folder)


def test_confidence_is_recorded_and_orders_the_review(tmp_path):
    ds = grey_folder(tmp_path / "d", [200, 40, 120, 250])
    steps = list(prelabel(ds, Fixed(LabelSet(("background", "thing"))), model_name="trained:x-1"))
    assert [round(s.confidence, 3) for s in steps] == [round((0.3 + v / 255) / 2, 3) for v in (200, 40, 120, 250)]
    ds = open_dataset(tmp_path / "d")                       # read back from the status file
    assert ds.item_info(1) == {"model": "trained:x-1", "confidence": steps[1].confidence}
    assert least_sure_first(ds) == [1, 2, 0, 3]
    assert status_note(ds, 1).startswith("predicted by trained:x-1, confidence 0.")
    ds.set_status(2, "reviewed")
    assert next_least_sure(ds, 1) == 0 and next_least_sure(ds, 3) == 1
    mask = uncertain_pixels(ds, 0, 0.5)
    assert mask.shape == (20, 30) and mask[:10].all() and not mask[10:].any()
    assert uncertain_pixels(ds, 0, 0.2) is not None and not uncertain_pixels(ds, 0, 0.2).any()


def test_status_file_keeps_info_beside_statuses_and_ignores_damage(tmp_path):
    ds = grey_folder(tmp_path / "d", [100, 100])
    list(prelabel(ds, Fixed(LabelSet(("background", "thing")))))
    path = tmp_path / "d" / ".segcore" / "status.json"
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["items"] == {"g0": "predicted", "g1": "predicted"}
    assert set(data["info"]) == {"g0", "g1"} and data["info"]["g0"]["model"] == "Fixed"
    ds.set_status(0, "reviewed")                            # a later write keeps the info
    data = json.loads(path.read_text())
    assert data["items"]["g0"] == "reviewed" and data["info"]["g0"]["confidence"] > 0
    data["info"]["g0"] = {"model": 5, "confidence": "high"}
    data["info"]["g1"] = "junk"
    path.write_text(json.dumps(data))
    ds = open_dataset(tmp_path / "d")
    assert ds.item_info(0) == {} and ds.item_info(1) == {} and ds.status(0) == "reviewed"


def test_prelabel_cli_prints_the_least_sure_first(tmp_path):
    from test_train import colour_dataset

    colour_dataset(tmp_path / "d", n=4)
    r = run_cli("train", str(tmp_path / "d"), "--model", "fpn_resnet18", "--out", str(tmp_path / "f.pth"),
                "--epochs", "1", "--size", "32", "--batch-size", "2", "--val-split", "0")
    assert r.returncode == 0, r.stderr
    for name in ("im2", "im3"):
        (tmp_path / "d" / "SegmentationClass" / f"{name}.png").unlink()
    r = run_cli("prelabel", str(tmp_path / "d"), "--model", "fpn_resnet18", "--weights", str(tmp_path / "f.pth"),
                "--sort-by-confidence")
    assert r.returncode == 0, r.stderr
    rows = [ln.split("\t") for ln in r.stdout.splitlines() if "\t" in ln]
    assert sorted(x[0] for x in rows[:2]) == ["im2", "im3"] and [x[0] for x in rows[2:]] == ["im0", "im1"]
    assert float(rows[0][2]) <= float(rows[1][2]) and rows[0][3] == "fpn_resnet18" and rows[2][2] == "-"
    r = run_cli("prelabel", str(tmp_path / "d"), "--sort-by-confidence")
    assert r.returncode == 0 and "least sure first" in r.stdout
    r = run_cli("prelabel", str(tmp_path / "d"), "--model", "trained:nope")
    assert r.returncode == 1 and "no trained model 'trained:nope'" in r.stderr
