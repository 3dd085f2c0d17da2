"""Objects written back, checked on disk by the formats' own readers (pycocotools, labelme):

* on coco-24, erasing or removing any part of the top object of every overlapping pair changes
  no pixel of the other object's annotation;
* a stroke, click or box on a selected object changes only that object's annotation, all others
  JSON-equal, in COCO and labelme, also with a second object of its class touching it;
* change class, delete and reorder keep every other annotation byte-identical and keep ids.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from copies import coco24_copy
from copies import labelme_copy as copy_labelme
from segcore import open_dataset
from segcore.dataset import Workspace
from segcore.edit import ObjectSession
from segcore.formats.labelme import shape_masks
from segcore.models.prompters.grabcut import GrabCutPrompter


@pytest.fixture
def coco_copy(shared_data, tmp_path):
    """coco-24's JSON in a fresh folder (as Python's json writes it, indent 1), images linked."""
    return coco24_copy(shared_data, tmp_path)


@pytest.fixture
def labelme_copy(shared_data, tmp_path):
    return copy_labelme(shared_data, tmp_path / "lm")


def ann_masks(coco: COCO, img_id: int) -> dict[int, np.ndarray]:
    return {a["id"]: coco.annToMask(a).astype(bool) for a in coco.imgToAnns[img_id]}


def overlapping_pairs(ds) -> list[tuple[int, int, int]]:
    """``(item, top id, beneath id)`` of every pair of objects that share a pixel."""
    out = []
    for i in range(len(ds)):
        items = ds.read_objects(i).items
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                if items[a].mask.overlaps(items[b].mask):
                    out.append((i, items[b].id, items[a].id))
    return out


def a_shared_pixel(objects, top, under) -> tuple[int, int]:
    both = objects.get(top).mask.full(objects.shape) & objects.get(under).mask.full(objects.shape)
    ys, xs = np.nonzero(both)
    k = len(ys) // 2
    return int(xs[k]), int(ys[k])


def test_coco_erasing_or_removing_the_top_object_of_every_overlap_keeps_the_one_beneath(coco_copy):
    original = coco_copy.read_text()
    ds = open_dataset(coco_copy)
    pairs = overlapping_pairs(ds)
    assert len(pairs) >= 60                          # coco-24: 70 overlapping pairs
    coco0 = COCO(str(coco_copy))
    for n, (i, top, under) in enumerate(pairs):
        coco_copy.write_text(original)
        ws = Workspace(open_dataset(coco_copy), prompter=GrabCutPrompter())
        s = ws.open(i)
        x, y = a_shared_pixel(s.objects, top, under)
        s.select(top)
        if n % 2 == 0:          # the eraser across the overlap
            s.paint([{"points": [[x - 6, y], [x + 6, y]], "radius": 4, "erase": True}])
        else:                   # a Remove click on the overlap
            s.click(x, y, False)
        assert s.last_changed > 0
        shown = s.labels.copy()
        ws.save()
        coco = COCO(str(coco_copy))
        img_id = ds._images[i]["id"]
        before, after = ann_masks(coco0, img_id), ann_masks(coco, img_id)
        np.testing.assert_array_equal(after[under], before[under], err_msg=f"pair {n}: {top} over {under}")
        assert top not in after or (before[top] & ~after[top]).any()
        assert not (after.get(top, before[top] & False) & ~before[top]).any()
        # every other annotation of the file is as it was, as JSON
        old = {a["id"]: a for a in coco0.dataset["annotations"]}
        new = {a["id"]: a for a in coco.dataset["annotations"]}
        assert {k: v for k, v in new.items() if k != top} == {k: v for k, v in old.items() if k != top}
        # what the canvas showed is what the file now reads as, and the uncovered pixels show
        # the object beneath
        np.testing.assert_array_equal(open_dataset(coco_copy).read_labels(i), shown)
        gone = before[top] & ~after.get(top, before[top] & False)
        assert (shown[gone & before[under]] != 0).all()


def touching_same_class(objects):
    """``(a, b)`` ids of two objects of one class whose masks touch or overlap, else None."""
    k = np.ones((3, 3), np.uint8)
    for a in objects:
        grown = cv2.dilate(a.mask.full(objects.shape).astype(np.uint8), k).astype(bool)
        for b in objects:
            if b.id != a.id and b.cls == a.cls and (grown & b.mask.full(objects.shape)).any():
                return a.id, b.id
    return None


def edit_one(s: ObjectSession, target: int, neighbour: int, tool: str) -> None:
    """A stroke, a click or a box on ``target``, reaching into ``neighbour``."""
    s.select(target)
    o, nb = s.objects.get(target), s.objects.get(neighbour)
    x0, y0, x1, y1 = o.box
    cx, cy = (nb.box[0] + nb.box[2]) // 2, (nb.box[1] + nb.box[3]) // 2
    if tool == "stroke":
        ys, xs = np.nonzero(o.mask.full(s.shape))
        s.paint([{"points": [[int(xs[len(xs) // 2]), int(ys[len(ys) // 2])], [cx, cy]], "radius": 3,
                  "cls": o.cls}])
    elif tool == "click":       # on the object (proposes it as it is), then where it is missing
        m = o.mask.full(s.shape)
        ys, xs = np.nonzero(m)
        s.click(int(xs[len(xs) // 3]), int(ys[len(ys) // 3]), True)
        ring = cv2.dilate(m.astype(np.uint8), np.ones((13, 13), np.uint8)).astype(bool) & ~m
        near = cv2.dilate(nb.mask.full(s.shape).astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
        ys, xs = np.nonzero(ring & near)
        s.click(int(xs[len(xs) // 2]), int(ys[len(ys) // 2]), True)
    else:
        H, W = s.shape
        s.box(max(0, x0 - 8), max(0, y0 - 8), min(W, x1 + 8), min(H, y1 + 8))
    assert s.last_changed > 0 and s.selected == target


@pytest.mark.parametrize("tool", ["stroke", "click", "box"])
def test_coco_a_tool_on_a_selected_object_changes_only_its_annotation(coco_copy, tool):
    ds = open_dataset(coco_copy)
    i = ds.index_of("000000000612.jpg")              # teddy bears touching each other
    s = ObjectSession(ds.read_image(i), ds.read_objects(i), prompter=GrabCutPrompter())
    a, b = touching_same_class(s.objects)
    coco0 = COCO(str(coco_copy))
    edit_one(s, a, b, tool)
    ds.write_objects(i, s.objects)
    coco = COCO(str(coco_copy))
    old = {x["id"]: x for x in coco0.dataset["annotations"]}
    new = {x["id"]: x for x in coco.dataset["annotations"]}
    assert set(new) == set(old) and new[a] != old[a]
    assert all(new[k] == old[k] for k in old if k != a)                 # the touching one too
    assert coco.annToMask(new[b]).sum() == coco0.annToMask(old[b]).sum()
    assert {k: v for k, v in new[a].items() if k not in ("segmentation", "area", "bbox")} == \
        {k: v for k, v in old[a].items() if k not in ("segmentation", "area", "bbox")}
    np.testing.assert_array_equal(coco.annToMask(new[a]).astype(bool), s.objects.get(a).mask.full(s.shape))


def labelme_pair(ds):
    """An item and two touching shapes of one class (a second one added where the file has none)."""
    for i in range(len(ds)):
        pair = touching_same_class(ds.read_objects(i))
        if pair:
            return i, pair
    raise AssertionError("the labelme example has no touching shapes of one class")


@pytest.mark.parametrize("tool", ["stroke", "click", "box"])
def test_labelme_a_tool_on_a_selected_object_changes_only_its_shape(labelme_copy, tool):
    ds = open_dataset(labelme_copy)
    i, (a, b) = labelme_pair(ds)
    path = labelme_copy / f"{ds.names[i]}.json"
    before = json.loads(path.read_text())
    others = {p.name: p.read_bytes() for p in labelme_copy.glob("*.json") if p != path}
    s = ObjectSession(ds.read_image(i), ds.read_objects(i), prompter=GrabCutPrompter())
    edit_one(s, a, b, tool)
    ds.write_objects(i, s.objects)
    after = json.loads(path.read_text())
    assert len(after["shapes"]) == len(before["shapes"])
    for k, (old, new) in enumerate(zip(before["shapes"], after["shapes"])):
        if k + 1 == a:
            assert new != old and new["label"] == old["label"]
            assert {x: v for x, v in new.items() if x not in ("points", "shape_type", "mask")} == \
                {x: v for x, v in old.items() if x not in ("points", "shape_type", "mask")}
        else:
            assert new == old, k                    # JSON-equal, the touching shape too
    # labelme's own drawing of the file gives the session's object
    ls = ds.label_set
    drawn = [m for _, m in shape_masks(after, ls)]
    np.testing.assert_array_equal(drawn[a - 1], s.objects.get(a).mask.full(s.shape))
    assert {p.name: p.read_bytes() for p in labelme_copy.glob("*.json") if p != path} == others


def test_coco_change_class_delete_reorder_keep_every_other_annotation_byte_identical(coco_copy):
    original = coco_copy.read_text()
    data = json.loads(original)
    assert original == json.dumps(data, indent=1)
    ds = open_dataset(coco_copy)
    pairs = overlapping_pairs(ds)
    i, top, under = pairs[0]
    ws = Workspace(ds)
    s = ws.open(i)
    # change class: only that annotation's category_id changes
    other = next(k for k in range(1, len(ds.label_set)) if k != s.objects.get(top).cls)
    s.set_class(top, other)
    ws.save()
    expected = json.loads(original)
    ann = next(a for a in expected["annotations"] if a["id"] == top)
    ann["category_id"] = ds._label_to_cat[other]
    assert coco_copy.read_text() == json.dumps(expected, indent=1)
    # reorder: COCO stores no order, the file stays byte for byte; the order is kept beside it
    assert s.reorder(top, "backward")
    ws.save()
    assert coco_copy.read_text() == json.dumps(expected, indent=1)
    back = open_dataset(coco_copy).read_objects(i)
    assert back.position(top) < back.position(under)
    assert back.ids_list() == s.objects.ids_list()
    # delete: that annotation goes, every other stays with its bytes and id
    s.delete(under)
    ws.save()
    expected["annotations"] = [a for a in expected["annotations"] if a["id"] != under]
    assert coco_copy.read_text() == json.dumps(expected, indent=1)
    assert sorted(open_dataset(coco_copy).read_objects(i).ids_list()) == sorted(s.objects.ids_list())
    # a new object gets a new id, after the largest in the file
    mask = np.zeros(s.shape, bool)
    mask[2:12, 2:30] = True
    (new_id,) = s.add_objects([(1, mask, 0.8)])
    ws.save()
    after = json.loads(coco_copy.read_text())
    assert after["annotations"][:-1] == expected["annotations"]
    assert after["annotations"][-1]["id"] == 1 + max(a["id"] for a in data["annotations"]) == new_id
    ws.close()


def test_labelme_change_class_delete_reorder_keep_every_other_shape_byte_identical(labelme_copy):
    ds = open_dataset(labelme_copy)
    i = 1                                             # 10 shapes
    path = labelme_copy / f"{ds.names[i]}.json"
    original = path.read_text()
    layout = {"indent": 2}
    expected = json.loads(original)
    assert original.rstrip("\n") == json.dumps(expected, **layout)
    end = original[len(original.rstrip("\n")):]
    ws = Workspace(ds)
    s = ws.open(i)
    ids = s.objects.ids_list()
    assert ids == list(range(1, len(expected["shapes"]) + 1))
    s.set_class(1, "dog")
    ws.save()
    expected["shapes"][0]["label"] = "dog"
    assert path.read_text() == json.dumps(expected, **layout) + end
    assert s.reorder(1, "front")
    ws.save()
    expected["shapes"].append(expected["shapes"].pop(0))
    assert path.read_text() == json.dumps(expected, **layout) + end
    s.delete(4)
    ws.save()
    del expected["shapes"][2]
    assert path.read_text() == json.dumps(expected, **layout) + end
    # the ids stay those of the file as opened: shape 1 is still 1, on top
    assert s.objects.ids_list() == [2, 3, 5, 6, 7, 8, 9, 10, 1]
    s.set_hidden(5)
    s.set_class(5, "cat")
    ws.save()
    expected["shapes"][2]["label"] = "cat"
    assert path.read_text() == json.dumps(expected, **layout) + end
    ws.close()


def test_selecting_hiding_and_locking_objects_write_nothing_and_keep_the_status(coco_copy):
    """A pre-labelled item looked at object by object stays pre-labelled with its file as it
    was; the first real edit makes it edited."""
    ds = open_dataset(coco_copy)
    ds.set_status(3, "predicted")
    before = coco_copy.read_bytes()
    ws = Workspace(ds)
    s = ws.open(3)
    first, second = s.objects.ids_list()[:2]
    for act, tool in ((lambda: s.select(first), "select"), (lambda: s.set_hidden(second, True), "hide"),
                      (lambda: s.set_locked(first, True), "lock"), (lambda: s.select(None), "select")):
        act()
        ws.changed(tool=tool)
        ws.save()
    assert open_dataset(coco_copy).status(3) == "predicted"
    assert coco_copy.read_bytes() == before
    s.delete(second)
    ws.changed(tool="delete")
    ws.save()
    ds = open_dataset(coco_copy)
    assert ds.status(3) == "edited"
    assert second not in ds.read_objects(3).ids_list()
