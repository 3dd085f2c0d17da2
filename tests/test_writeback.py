"""Writing back only what changed, on real COCO and labelme files: an edit of one image keeps
every annotation (shape) it does not touch equal as JSON, keeps overlaps outside the change,
loads in pycocotools, and keeps the previous version."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from pycocotools.coco import COCO

from segcore import open_dataset
from segcore.formats.labelme import shape_masks


@pytest.fixture
def coco_copy(shared_data, tmp_path):
    """coco-24's JSON in a fresh folder, its images linked beside it (never copied into the project)."""
    src = shared_data / "coco-24"
    shutil.copy(src / "annotations.json", tmp_path / "annotations.json")
    (tmp_path / "images").symlink_to(src / "images")
    return tmp_path / "annotations.json"


def coverage(coco: COCO, img_id: int) -> np.ndarray:
    """How many instances cover each pixel, by pycocotools alone."""
    info = coco.imgs[img_id]
    n = np.zeros((info["height"], info["width"]), np.int32)
    for a in coco.imgToAnns[img_id]:
        n += coco.annToMask(a)
    return n


def most_overlapping(ds, coco):
    counts = [(int((coverage(coco, img["id"]) >= 2).sum()), i) for i, img in enumerate(ds._images)]
    return max(counts)[1]


def small_edit(labels: np.ndarray, cls_new: int) -> np.ndarray:
    """A brush stroke of another class across the middle of the largest object, and a new
    blob of that class in a corner."""
    new = labels.copy()
    ys, xs = np.nonzero(labels > 0)
    y, x = int(np.median(ys)), int(np.median(xs))
    new[y - 2:y + 3, max(0, x - 25):x + 25] = cls_new
    new[2:8, 2:20] = cls_new
    return new


def test_coco_overlaps_read_as_the_smaller_instance_and_are_counted(coco_copy):
    ds = open_dataset(coco_copy)
    coco = COCO(str(coco_copy))
    i = most_overlapping(ds, coco)
    labels = ds.read_labels(i)
    n = coverage(coco, ds._images[i]["id"])
    assert (n >= 2).sum() > 1000
    assert not (labels == 255).any()                               # real classes, never void
    np.testing.assert_array_equal(ds.overlap(i), n >= 2)
    # at a doubly covered pixel, the class shown is the smaller instance's
    anns = coco.imgToAnns[ds._images[i]["id"]]
    y, x = np.argwhere(n >= 2)[0]
    under = [a for a in anns if coco.annToMask(a)[y, x]]
    smallest = min(under, key=lambda a: coco.annToMask(a).sum())
    assert labels[y, x] == ds._cat_to_label[smallest["category_id"]]


def test_coco_write_back_changes_only_what_the_edit_touched(coco_copy):
    before = json.loads(coco_copy.read_text())
    before["annotations"][0]["attributes"] = {"occluded": True}     # a key segcore does not know
    coco_copy.write_text(json.dumps(before, indent=1))
    before_text = coco_copy.read_text()
    coco = COCO(str(coco_copy))
    ds = open_dataset(coco_copy)
    i = most_overlapping(ds, coco)
    img_id = ds._images[i]["id"]
    old = ds.read_labels(i)
    ds.write_labels(i, old)                                         # nothing changed: nothing written
    assert coco_copy.read_text() == before_text and not ds.versions(i)
    cls = ds.label_set.index_of("person") if old.max() != ds.label_set.index_of("person") else 1
    new = small_edit(old, cls)
    changed = new != old
    ds.write_labels(i, new)

    after = json.loads(coco_copy.read_text())
    COCO(str(coco_copy))                                            # loads
    assert coco_copy.read_text() == json.dumps(after, indent=1)     # the file's layout is kept
    by_id = {a["id"]: a for a in after["annotations"]}
    touched = 0
    for a in before["annotations"]:
        if a["image_id"] != img_id or not (coco.annToMask(a).astype(bool) & changed).any():
            assert by_id.get(a["id"]) == a, a["id"]                 # equal as JSON, same id
        else:
            touched += 1
            if a["id"] in by_id:                                    # updated: id and every key kept
                assert set(a) <= set(by_id[a["id"]]) and by_id[a["id"]]["category_id"] == a["category_id"]
    assert touched >= 1
    assert [x for x in after["images"]] == before["images"] and after["categories"] == before["categories"]
    # overlaps outside the change are still overlaps
    coco2 = COCO(str(coco_copy))
    n_before, n_after = coverage(coco, img_id), coverage(coco2, img_id)
    outside = ~changed
    assert ((n_before >= 2) == (n_after >= 2))[outside].all() and (n_after[outside] >= 2).sum() > 1000
    # the edit itself is there, and the rest of the image reads as before
    back = open_dataset(coco_copy).read_labels(i)
    np.testing.assert_array_equal(back[changed], new[changed])
    assert (back == old)[outside].mean() > 0.999
    # the new corner blob is a new annotation; the previous file is kept
    assert len(after["annotations"]) >= len(before["annotations"])
    assert max(a["id"] for a in after["annotations"]) > max(a["id"] for a in before["annotations"])
    kept = ds.versions(i)
    assert len(kept) == 1 and kept[0].read_text() == before_text


def test_coco_erasing_an_instance_removes_it_and_only_it(coco_copy):
    ds = open_dataset(coco_copy)
    coco = COCO(str(coco_copy))
    found = None
    for i, img in enumerate(ds._images):          # an instance that overlaps no other
        anns = coco.imgToAnns[img["id"]]
        for a in sorted(anns, key=lambda a: a["area"]):
            m = coco.annToMask(a).astype(bool)
            if not any((coco.annToMask(b).astype(bool) & m).any() for b in anns if b is not a):
                found = (i, a, m)
                break
        if found:
            break
    i, target, m = found
    new = ds.read_labels(i).copy()
    new[m] = 0
    ds.write_labels(i, new)
    after = {a["id"]: a for a in json.loads(coco_copy.read_text())["annotations"]}
    assert target["id"] not in after
    assert all(after.get(a["id"]) == a for a in coco.dataset["annotations"] if a is not target)


@pytest.fixture
def labelme_copy(shared_data, tmp_path):
    root = tmp_path / "lm"
    shutil.copytree(shared_data / "labelme-voc" / "data_annotated", root)
    shutil.copy(shared_data / "labelme-voc" / "labels.txt", root / "labels.txt")
    return root


def test_labelme_write_back_keeps_untouched_shapes(labelme_copy):
    ds = open_dataset(labelme_copy)
    name = ds.names[0]
    path = labelme_copy / f"{name}.json"
    before_text = path.read_text()
    before = json.loads(before_text)
    others = {p.name: p.read_bytes() for p in labelme_copy.glob("*.json") if p != path}
    masks = [m for _, m in shape_masks(before, ds.label_set)]
    old = ds.read_labels(0)
    new = small_edit(old, ds.label_set.index_of("dog"))
    new[old.shape[0] - 8:old.shape[0] - 3, 3:30] = 255          # void: a new __ignore__ shape
    changed = new != old
    ds.write_labels(0, new)
    after = json.loads(path.read_text())
    # the file keeps its other keys; one that gained a mask shape says a labelme that reads them
    masks_now = any(s["shape_type"] == "mask" for s in after["shapes"])
    assert after["version"] == ("5.4.0" if masks_now else before["version"])
    assert {k: v for k, v in after.items() if k not in ("shapes", "version")} == \
        {k: v for k, v in before.items() if k not in ("shapes", "version")}
    for shape, m in zip(before["shapes"], masks):
        if not (m & changed).any():
            assert shape in after["shapes"]                         # equal as JSON
    assert sum(not (m & changed).any() for m in masks) >= 2
    # untouched shapes keep their order; new shapes come last
    kept = [s for s in after["shapes"] if s in before["shapes"]]
    assert kept == [s for s in before["shapes"] if s in kept]
    assert after["shapes"][-1]["label"] in ("dog", "__ignore__")
    np.testing.assert_array_equal(open_dataset(labelme_copy).read_labels(0), new)
    assert {p.name: p.read_bytes() for p in labelme_copy.glob("*.json") if p != path} == others
    assert len(ds.versions(0)) == 1 and ds.versions(0)[0].read_text() == before_text


def test_labelme_overlapping_shapes_outside_the_change_stay(labelme_copy):
    """Two shapes drawn over each other: an edit elsewhere keeps both, as they were."""
    ds = open_dataset(labelme_copy)
    path = labelme_copy / f"{ds.names[1]}.json"
    data = json.loads(path.read_text())
    h, w = data["imageHeight"], data["imageWidth"]
    big = {"label": "cat", "points": [[10, 10], [120, 10], [120, 90], [10, 90]], "group_id": 7,
           "shape_type": "polygon", "flags": {"x": True}, "description": "big", "extra": 1}
    small = {"label": "dog", "points": [[60, 40], [100, 40], [100, 80]], "group_id": None,
             "shape_type": "polygon", "flags": {}, "description": ""}
    data["shapes"] += [big, small]
    path.write_text(json.dumps(data, indent=2))
    ds = open_dataset(labelme_copy)
    old = ds.read_labels(1)
    new = old.copy()
    new[h - 20:h - 10, w - 40:w - 10] = ds.label_set.index_of("cat")
    ds.write_labels(1, new)
    after = json.loads(path.read_text())
    assert big in after["shapes"] and small in after["shapes"]
    np.testing.assert_array_equal(open_dataset(labelme_copy).read_labels(1), new)


def test_voc_segmentation_object_is_updated_the_same_way(tmp_path):
    """A VOC root with instance PNGs: the touched object changes, the others keep their ids
    and pixels, a new region gets a new id."""
    from PIL import Image

    from segcore.formats.voc import write_label_png
    from segcore.labels import LabelSet, voc_colormap

    root = tmp_path / "voc"
    for d in ("JPEGImages", "SegmentationClass", "SegmentationObject"):
        (root / d).mkdir(parents=True)
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(root / "JPEGImages" / "a.jpg")
    cls = np.zeros((40, 60), np.uint8)
    obj = np.zeros((40, 60), np.uint8)
    cls[5:15, 5:20], obj[5:15, 5:20] = 15, 1           # person 1
    cls[5:15, 30:45], obj[5:15, 30:45] = 15, 2         # person 2
    cls[20:35, 10:50], obj[20:35, 10:50] = 7, 3        # car 3
    write_label_png(root / "SegmentationClass" / "a.png", cls, LabelSet.voc())
    im = Image.fromarray(obj, mode="P")
    im.putpalette(voc_colormap().ravel().tolist())
    im.save(root / "SegmentationObject" / "a.png")
    ds = open_dataset(root)
    new = ds.read_labels(0).copy()
    new[20:35, 40:50] = 0                               # car loses its right end
    new[10:14, 19:23] = 15                              # person 1 grows by a touching patch
    new[36:39, 2:6] = 12                                # a dog where there was nothing
    ds.write_labels(0, new)
    got = np.asarray(Image.open(root / "SegmentationObject" / "a.png"))
    assert (got[5:15, 30:45] == 2).all() and (got == 2).sum() == 150           # untouched
    assert (got[20:35, 10:40] == 3).all() and not (got[20:35, 40:50] == 3).any()
    assert (got[10:14, 19:23] == 1).all()
    assert (got[36:39, 2:6] == 4).all()
    assert len(ds.versions(0)) == 2                     # class and object PNGs both kept
