import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from conftest import run_cli
from segcore.errors import FormatError
from segcore.formats.coco import from_coco, to_coco, write_coco
from segcore.labels import LabelSet

VOC = LabelSet.voc()


def hard_mask() -> np.ndarray:
    """Rings, holes, touching regions of different classes, 1-px lines, border regions."""
    m = np.zeros((60, 80), np.uint8)
    cv2.circle(m, (20, 20), 12, 1, -1)
    cv2.circle(m, (20, 20), 6, 0, -1)          # ring with a background hole
    cv2.circle(m, (20, 20), 2, 3, -1)          # island of another class in the hole
    m[5:25, 40:55] = 7
    m[5:25, 55:70] = 8                         # touching regions, different classes
    m[40, 5:60] = 15                           # one-pixel horizontal line
    m[30:58, 75] = 15                          # one-pixel vertical line on the border column
    m[0:3, 0:80] = 2                           # along the top border
    m[59, 0:10] = 4                            # bottom border
    for k in range(10):                        # diagonal 1-px staircase (8-connected)
        m[45 + k, 30 + k] = 9
    m[50:56, 50:56] = 255                      # void is not exported
    return m


def rasterise(data: dict, image_id: int = 1) -> dict[int, np.ndarray]:
    coco = COCO()
    coco.dataset = data
    coco.createIndex()
    out = {}
    for ann in coco.imgToAnns[image_id]:
        m = coco.annToMask(ann).astype(bool)
        out[ann["category_id"]] = out.get(ann["category_id"], False) | m
    return out


def test_round_trip_through_pycocotools_is_exact():
    m = hard_mask()
    data = to_coco([("a.jpg", m)], VOC)
    per_class = rasterise(json.loads(json.dumps(data)))
    for cls in set(np.unique(m)) - {0, 255}:
        truth = m == cls
        got = per_class[int(cls)]
        iou = (truth & got).sum() / (truth | got).sum()
        assert iou == 1.0, cls
    back, _ = from_coco(data, VOC)
    expect = np.where(m == 255, 0, m)
    np.testing.assert_array_equal(back["a.jpg"], expect)


def test_annotation_fields():
    m = hard_mask()
    data = to_coco([("a.jpg", m)], VOC)
    assert [c["id"] for c in data["categories"]] == list(range(1, 21))
    assert data["categories"][14]["name"] == "person"
    ring = [a for a in data["annotations"] if a["category_id"] == 1]
    assert len(ring) == 1 and isinstance(ring[0]["segmentation"], dict)  # hole -> RLE
    assert ring[0]["iscrowd"] == 0
    for a in data["annotations"]:
        if isinstance(a["segmentation"], list):
            assert all(len(p) >= 6 and len(p) % 2 == 0 for p in a["segmentation"])
        region = m == a["category_id"]
        assert a["area"] <= region.sum()
        x, y, w, h = a["bbox"]
        assert w >= 1 and h >= 1
    line = [a for a in data["annotations"] if a["category_id"] == 15]
    assert sorted(a["area"] for a in line) == [28.0, 55.0]


def test_random_masks_round_trip():
    rng = np.random.default_rng(0)
    for t in range(20):
        lab = cv2.resize(rng.integers(0, 5, (7, 9)).astype(np.uint8), (61, 47), interpolation=cv2.INTER_NEAREST)
        noise = rng.random(lab.shape) < 0.04
        lab[noise] = rng.integers(0, 5, noise.sum())
        back, _ = from_coco(to_coco([("x.png", lab)], VOC), VOC)
        np.testing.assert_array_equal(back["x.png"], lab)


def test_import_rle_kinds_and_overlap_shows_the_smaller_instance():
    h, w = 20, 30
    a = np.zeros((h, w), np.uint8)
    a[2:10, 2:20] = 1
    b = np.zeros((h, w), np.uint8)
    b[5:15, 15:28] = 1
    rle_c = mask_utils.encode(np.asfortranarray(b))
    rle_c["counts"] = rle_c["counts"].decode()
    # uncompressed RLE: column-major run lengths, starting with zeros
    flat = a.ravel(order="F")
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n)
            cur, n = v, 0
        n += 1
    runs.append(n)
    data = {"images": [{"id": 1, "file_name": "x.jpg", "height": h, "width": w}],
            "categories": [{"id": 7, "name": "cat"}, {"id": 9, "name": "dog"}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 7, "iscrowd": 1,
                 "segmentation": {"size": [h, w], "counts": runs}},
                {"id": 2, "image_id": 1, "category_id": 9, "iscrowd": 0, "segmentation": rle_c},
                {"id": 3, "image_id": 1, "category_id": 7, "iscrowd": 0,
                 "segmentation": [[0, 16, 4, 16, 4, 20, 0, 20]]}]}
    maps, ls = from_coco(data)
    lab = maps["x.jpg"]
    assert ls.names == ("background", "cat", "dog")
    assert lab[3, 3] == 1 and lab[12, 25] == 2 and lab[18, 1] == 1
    # cat (8x18 = 144 px) and dog (10x13 = 130 px) overlap: the smaller, dog, is on top
    assert (lab[5:10, 15:20] == 2).all()
    assert lab[0, 29] == 0


def test_written_file_loads_in_pycocotools(tmp_path):
    p = write_coco(tmp_path / "a.json", [("a.jpg", hard_mask()), ("b.jpg", hard_mask()[::-1].copy())], VOC)
    coco = COCO(str(p))
    assert len(coco.getImgIds()) == 2 and len(coco.getAnnIds()) > 10
    ids = [a["id"] for a in coco.dataset["annotations"]]
    assert len(set(ids)) == len(ids)


def test_bad_coco_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run_cli("convert", str(bad), "--to", "voc", "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and r.stderr.startswith("error: ") and "bad.json" in r.stderr
    data = to_coco([("a.jpg", hard_mask())], VOC)
    data["categories"][0]["name"] = "unicorn"
    with pytest.raises(FormatError, match="unicorn"):
        from_coco(data, VOC)
