"""Exports a COCO or labelme tool opens, one format registry, and eval's classes from a VOC root."""

from __future__ import annotations

import base64
import io
import json
import math
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pycocotools.coco import COCO

from conftest import run_cli
from segcore import FormatError, open_dataset
from segcore.dataset import Dataset, export_dataset, register_format
from segcore.dataset.registry import FORMATS
from segcore.labels import LabelSet

CAMVID = ("sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car", "pedestrian", "bicyclist")


@pytest.fixture
def camvid_voc(shared_data, tmp_path):
    """A VOC root with CamVid's own classes (class 0 is sky, no background), 4 images."""
    root = tmp_path / "camvid_voc"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    for lab in sorted((shared_data / "camvid-20" / "labels").glob("*.png"))[:4]:
        shutil.copy(shared_data / "camvid-20" / "images" / lab.name, root / "JPEGImages" / lab.name)
        arr = np.asarray(Image.open(lab)).astype(np.uint8).copy()
        arr[arr == 11] = 255
        Image.fromarray(arr).save(root / "SegmentationClass" / lab.name)
    (root / "labels.txt").write_text("\n".join(CAMVID) + "\n")
    return root


def test_coco_export_of_a_voc_root_and_a_plain_folder_names_images_that_resolve(shared_data, camvid_voc, tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    for p in sorted((camvid_voc / "JPEGImages").iterdir())[:2]:
        shutil.copy(p, folder / p.name)
    ds = open_dataset(folder)
    ds.set_label_set(LabelSet(CAMVID))
    for i in range(2):
        ds.write_labels(i, np.asarray(Image.open(camvid_voc / "SegmentationClass" / f"{ds.names[i]}.png")))
    for src, n in ((camvid_voc, 4), (folder, 2), (shared_data / "labelme-voc" / "data_dataset_voc", 3)):
        out = tmp_path / f"coco_{src.name}" / "annotations.json"
        r = run_cli("convert", str(src), "--to", "coco", "--out", str(out))
        assert r.returncode == 0, r.stderr
        coco = COCO(str(out))
        assert len(coco.imgs) == n
        for img in coco.imgs.values():
            assert "." in img["file_name"]
            with Image.open(out.parent / "images" / img["file_name"]) as im:   # resolves, and is the image
                assert im.size == (img["width"], img["height"])
        back = open_dataset(out)                 # and opens as a dataset with its images
        assert back.read_image(0).shape[:2] == back.read_labels(0).shape


def labelme_reader(json_path):
    """labelme's own reading, ported from labelme (label_file.py, utils/shape.py): the image from
    imagePath beside the JSON (or imageData), each shape drawn with PIL in file order; the
    class numbers from labels.txt as labelme2voc numbers them (``__ignore__`` -1, then 0, 1, ...)."""
    data = json.loads(json_path.read_text())
    for key in ("imagePath", "imageData", "shapes", "imageHeight", "imageWidth"):
        assert key in data, key
    if data["imageData"]:
        img = Image.open(io.BytesIO(base64.b64decode(data["imageData"])))
    else:
        img = Image.open(json_path.parent / data["imagePath"])
    assert img.size == (data["imageWidth"], data["imageHeight"])
    lines = [ln.strip() for ln in (json_path.parent / "labels.txt").read_text().splitlines()]
    assert lines[0] == "__ignore__"
    value = {name: k - 1 for k, name in enumerate(lines)}
    cls = np.zeros((img.height, img.width), np.int32)
    for shape in data["shapes"]:
        mask = Image.new("L", img.size, 0)
        draw = ImageDraw.Draw(mask)
        xy = [tuple(p) for p in shape["points"]]
        kind = shape.get("shape_type") or "polygon"
        if kind == "mask":
            (x1, y1), (x2, y2) = np.asarray(shape["points"], int)
            m = np.zeros((img.height, img.width), bool)
            m[y1:y2 + 1, x1:x2 + 1] = np.asarray(Image.open(io.BytesIO(base64.b64decode(shape["mask"])))).astype(bool)
        elif kind == "circle":
            (cx, cy), (px, py) = xy
            d = math.hypot(cx - px, cy - py)
            draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
            m = np.asarray(mask, bool)
        else:
            assert kind == "polygon", kind
            draw.polygon(xy=xy, outline=1, fill=1)
            m = np.asarray(mask, bool)
        cls[m] = value[shape["label"]]             # a label labels.txt lacks fails here
    return cls


def test_labelme_export_of_a_custom_class_voc_root_reads_in_labelmes_logic(camvid_voc, tmp_path):
    out = tmp_path / "lm"
    r = run_cli("convert", str(camvid_voc), "--to", "labelme", "--out", str(out))
    assert r.returncode == 0, r.stderr
    jsons = sorted(out.glob("*.json"))
    assert len(jsons) == 4
    # labels.txt as labelme2voc.py asserts it: __ignore__ (-1), _background_ (0), then the classes,
    # so labelme numbers CamVid's classes from 1 (sky is 1: it is not background)
    assert (out / "labels.txt").read_text().splitlines()[:3] == ["__ignore__", "_background_", "sky"]
    for js in jsons:
        truth = np.asarray(Image.open(camvid_voc / "SegmentationClass" / f"{js.stem}.png")).astype(np.int32)
        truth = np.where(truth == 255, -1, truth + 1)
        np.testing.assert_array_equal(labelme_reader(js), truth)
    # and segcore opens the folder with the same classes by name (and labelme's background, which
    # no pixel has), each pixel the class it had
    ds = open_dataset(out)
    assert ds.kind == "labelme" and ds.label_set.names == ("background",) + CAMVID
    for i, name in enumerate(ds.names):
        truth = np.asarray(Image.open(camvid_voc / "SegmentationClass" / f"{name}.png"))
        np.testing.assert_array_equal(ds.read_labels(i), np.where(truth == 255, 255, truth + 1))


def test_eval_takes_the_classes_of_a_voc_root(camvid_voc, tmp_path):
    preds = tmp_path / "pred"
    preds.mkdir()
    for p in (camvid_voc / "SegmentationClass").iterdir():
        arr = np.asarray(Image.open(p)).copy()
        arr[arr == 255] = 3
        Image.fromarray(arr).save(preds / p.name)
    r = run_cli("eval", "--pred", str(preds), "--gt", str(camvid_voc / "SegmentationClass"), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert "road" in rep["per_class"] and "aeroplane" not in rep["per_class"] and rep["pixel_accuracy"] == 1.0
    assert "labels.txt" in r.stderr
    # a dataset as the ground truth: the VOC root itself
    r = run_cli("eval", "--pred", str(preds), "--gt", str(camvid_voc), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["miou"] == 1.0, r.stderr


def test_the_registry_refuses_a_second_format_of_one_name():
    assert set(FORMATS) >= {"voc", "coco", "labelme", "labelmaps", "folder"}
    with pytest.raises(ValueError, match="registered already"):
        @register_format("coco", priority=99)
        class Again(Dataset):
            pass
    assert FORMATS["coco"].__name__ == "CocoDataset"


def test_export_refuses_an_unknown_format(camvid_voc, tmp_path):
    with pytest.raises(FormatError, match="unknown format 'yolo'"):
        export_dataset(open_dataset(camvid_voc), "yolo", tmp_path / "x")
    with pytest.raises(FormatError, match="cannot export as folder"):
        export_dataset(open_dataset(camvid_voc), "folder", tmp_path / "x")
