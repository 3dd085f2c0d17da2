"""Through the app, as a script drives it (gradio_client): a brush stroke on one COCO or labelme
item, then Next; every annotation (shape) the stroke did not touch is equal as JSON, overlaps
outside it stay, the file loads in pycocotools, a previous version is kept; a class name with
a line break is refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from pycocotools.coco import COCO

from conftest import serve_app
from segcore import open_dataset
from segcore.formats.labelme import shape_masks


@pytest.fixture
def coco_app(shared_data, tmp_path):
    src = shared_data / "coco-24"
    shutil.copy(src / "annotations.json", tmp_path / "annotations.json")
    (tmp_path / "images").symlink_to(src / "images")
    with serve_app(tmp_path / "annotations.json", concurrency=2) as url:
        yield url, tmp_path / "annotations.json"


def _coverage(coco, img_id):
    info = coco.imgs[img_id]
    n = np.zeros((info["height"], info["width"]), np.int32)
    for a in coco.imgToAnns[img_id]:
        n += coco.annToMask(a)
    return n


def test_a_stroke_then_next_on_coco_keeps_everything_else(coco_app):
    url, path = coco_app
    before = json.loads(path.read_text())
    coco = COCO(str(path))
    img_id = max(coco.imgs, key=lambda k: int((_coverage(coco, k) >= 2).sum()))
    name = coco.imgs[img_id]["file_name"]
    ds = open_dataset(path)
    old = ds.read_labels(ds.index_of(name))
    c = Client(url, verbose=False)
    value, _, status = c.predict(name, api_name="/open_item")
    assert "/" not in value["item"] and not value["photo"].startswith("/gradio_api/file=")
    h, w = value["h"], value["w"]
    stroke = [[w // 3, h // 2], [w // 3 + 40, h // 2]]
    c.predict({"pending": [{"points": stroke, "radius": 3, "cls": 0}]}, api_name="/apply_edit")
    c.predict(api_name="/next_item")
    new = open_dataset(path).read_labels(ds.index_of(name))
    changed = new != old
    assert 100 < changed.sum() < 2000
    after = json.loads(path.read_text())
    by_id = {a["id"]: a for a in after["annotations"]}
    for a in before["annotations"]:
        if a["image_id"] != img_id or not (coco.annToMask(a).astype(bool) & changed).any():
            assert by_id.get(a["id"]) == a, a["id"]
    coco2 = COCO(str(path))
    n0, n1 = _coverage(coco, img_id), _coverage(coco2, img_id)
    assert ((n0 >= 2) == (n1 >= 2))[~changed].all() and (n1 >= 2).sum() > 1000
    assert len(list((path.parent / ".segcore" / "history").iterdir())) == 1
    # a class name with a line break is refused: the categories stay as they were
    with pytest.raises(AppError, match="one line of text"):
        c.predict("traffic\ncone", api_name="/add_class")
    assert json.loads(path.read_text())["categories"] == before["categories"]


@pytest.fixture
def labelme_app(shared_data, tmp_path):
    root = tmp_path / "lm"
    shutil.copytree(shared_data / "labelme-voc" / "data_annotated", root)
    shutil.copy(shared_data / "labelme-voc" / "labels.txt", root / "labels.txt")
    with serve_app(root, concurrency=2) as url:
        yield url, root


def test_a_stroke_then_next_on_labelme_keeps_untouched_shapes(labelme_app):
    url, root = labelme_app
    ds = open_dataset(root)
    name = ds.names[0]
    path = root / f"{name}.json"
    before = json.loads(path.read_text())
    masks = [m for _, m in shape_masks(before, ds.label_set)]
    old = ds.read_labels(0)
    others = {p.name: p.read_bytes() for p in root.glob("*.json") if p != path}
    c = Client(url, verbose=False)
    value, _, _ = c.predict(name, api_name="/open_item")
    h, w = value["h"], value["w"]
    dog = ds.label_set.index_of("dog")
    c.predict({"pending": [{"points": [[w // 2 - 30, h // 2], [w // 2 + 30, h // 2]], "radius": 3, "cls": dog}]},
              api_name="/apply_edit")
    c.predict(api_name="/next_item")
    new = open_dataset(root).read_labels(0)
    changed = new != old
    assert changed.any()
    after = json.loads(path.read_text())
    untouched = [s for s, m in zip(before["shapes"], masks) if not (m & changed).any()]
    assert untouched and all(s in after["shapes"] for s in untouched)
    assert {p.name: p.read_bytes() for p in root.glob("*.json") if p != path} == others
    assert len(ds.versions(0)) == 1
