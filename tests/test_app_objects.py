"""Objects through the served app (gradio_client), checked on disk with pycocotools, the JSON
of labelme files and the VOC PNGs: the object list (/objects), a stroke, click or box on a
selected object changes only its annotation (a second object of its class touching it too),
change class / delete / reorder keep every other annotation byte-identical and keep ids, locks
hold per object, and mistakes raise one line. Data: copies of ../shared/data/coco-24, the
labelme example and camvid-20 as a VOC root with SegmentationObject (class 0 is sky)."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image
from pycocotools.coco import COCO

from camvid import camvid_voc
from conftest import scene_dataset
from copies import coco24_copy, coco_app, labelme_app, serve  # noqa: F401 (fixtures)
from segcore import open_dataset

TEDDY = "000000000612.jpg"          # coco-24: teddy bears touching each other


@pytest.fixture(scope="module")
def camvid_app(shared_data, tmp_path_factory):
    """A VOC root of camvid-20 with SegmentationClass and an empty SegmentationObject/: each
    region of a class is an object (class 0 is sky, and no class is background)."""
    tmp = tmp_path_factory.mktemp("camvid")
    root = camvid_voc(shared_data / "camvid-20", tmp / "streets")
    (root / "SegmentationClass").mkdir()
    for p in sorted((tmp / "streets-truth").glob("*.png"))[:3]:
        shutil.copy(p, root / "SegmentationClass" / p.name)
    (root / "SegmentationObject").mkdir()
    demo, url = serve(root)
    yield url, root
    demo.close()


def touching_same_class(objects):
    """``(a, b)``: two objects of one class whose masks touch or overlap, else None."""
    k = np.ones((3, 3), np.uint8)
    for a in objects:
        grown = cv2.dilate(a.mask.full(objects.shape).astype(np.uint8), k).astype(bool)
        for b in objects:
            if b.id != a.id and b.cls == a.cls and (grown & b.mask.full(objects.shape)).any():
                return a.id, b.id
    return None


def coco_anns(path) -> dict[int, dict]:
    return {a["id"]: a for a in json.loads(path.read_text())["annotations"]}


def edit_through_the_api(c: Client, objects, a: int, b: int, tool: str, by: str) -> None:
    """A stroke, click or box on object ``a`` reaching towards ``b``; ``by``: the object is
    selected first ("select") or named in the call ("obj_id")."""
    o, nb = objects.get(a), objects.get(b)
    m = o.mask.full(objects.shape)
    ys, xs = np.nonzero(m)
    cx, cy = (nb.box[0] + nb.box[2]) // 2, (nb.box[1] + nb.box[3]) // 2
    obj = None
    if by == "select":
        canvas, _, _ = c.predict(a, api_name="/select_object")
        assert canvas["selected"] == a and canvas["cls"] == o.cls     # the tools' class follows it
    else:
        obj = a
    if tool == "stroke":
        stroke = {"points": [[int(xs[len(xs) // 2]), int(ys[len(ys) // 2])], [int(cx), int(cy)]], "radius": 3,
                  "cls": o.cls}
        c.predict({"pending": [stroke]}, obj, api_name="/apply_edit")
    elif tool == "click":        # on the object (proposes it as it is), then where it is missing
        c.predict(int(xs[len(xs) // 3]), int(ys[len(ys) // 3]), "add", "", "", obj, api_name="/click_point")
        ring = cv2.dilate(m.astype(np.uint8), np.ones((13, 13), np.uint8)).astype(bool) & ~m
        near = cv2.dilate(nb.mask.full(objects.shape).astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
        ys2, xs2 = np.nonzero(ring & near)
        c.predict(int(xs2[len(xs2) // 2]), int(ys2[len(ys2) // 2]), "add", "", "", obj, api_name="/click_point")
    else:
        H, W = objects.shape
        x0, y0, x1, y1 = o.box
        c.predict(max(0, x0 - 8), max(0, y0 - 8), min(W, x1 + 8), min(H, y1 + 8), "", "", obj, api_name="/box")


def test_the_object_list_is_the_file(coco_app):
    url, path = coco_app
    c = Client(url, verbose=False)
    c.predict(TEDDY, api_name="/open_item")
    rows = c.predict(api_name="/objects")
    coco = COCO(str(path))
    img = next(i for i in coco.dataset["images"] if i["file_name"] == TEDDY)
    anns = coco.imgToAnns[img["id"]]
    assert sorted(r["id"] for r in rows) == sorted(a["id"] for a in anns)
    names = {cat["id"]: cat["name"] for cat in coco.dataset["categories"]}
    total = img["width"] * img["height"]
    for r in rows:
        ann = next(a for a in anns if a["id"] == r["id"])
        mask = coco.annToMask(ann).astype(bool)
        ys, xs = np.nonzero(mask)
        assert r["class"] == names[ann["category_id"]]
        assert r["area"] == mask.sum() and r["share"] == pytest.approx(mask.sum() / total, abs=1e-6)
        assert r["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        assert not r["hidden"] and not r["locked"] and not r["selected"]
    # top first; COCO stores no order, so the smaller is on top
    assert [r["order"] for r in rows] == sorted((r["order"] for r in rows), reverse=True)
    assert [r["area"] for r in rows] == sorted(r["area"] for r in rows)
    # hide and lock are shown in the list (and change nothing on disk)
    before = path.read_bytes()
    top = rows[0]["id"]
    c.predict(top, True, api_name="/hide_object")
    canvas, _, _ = c.predict(top, True, api_name="/lock_object")
    row = next(r for r in c.predict(api_name="/objects") if r["id"] == top)
    assert row["hidden"] and row["locked"]
    assert next(r for r in canvas["objects"] if r["id"] == top)["hidden"]
    c.predict(api_name="/mark_reviewed")             # saves, and waits for it
    assert path.read_bytes() == before


@pytest.mark.parametrize("tool, by", [("stroke", "select"), ("click", "select"), ("box", "obj_id"),
                                      ("stroke", "obj_id")])
def test_coco_a_tool_on_one_object_changes_only_its_annotation(coco_app, tool, by):
    url, path = coco_app
    c = Client(url, verbose=False)
    c.predict(TEDDY, api_name="/open_item")
    ds = open_dataset(path)
    i = ds.index_of(TEDDY)
    objects = ds.read_objects(i)
    a, b = touching_same_class(objects)
    coco0 = COCO(str(path))
    old = coco_anns(path)
    edit_through_the_api(c, objects, a, b, tool, by)
    c.predict(api_name="/mark_reviewed")             # saves, and waits for it
    new = coco_anns(path)
    coco = COCO(str(path))
    assert set(new) == set(old) and new[a] != old[a]
    assert all(new[k] == old[k] for k in old if k != a)            # JSON-equal, the touching one too
    assert {k: v for k, v in new[a].items() if k not in ("segmentation", "area", "bbox")} == \
        {k: v for k, v in old[a].items() if k not in ("segmentation", "area", "bbox")}
    np.testing.assert_array_equal(coco.annToMask(new[b]), coco0.annToMask(old[b]))
    grown = coco.annToMask(new[a]).astype(bool)
    assert (grown | coco0.annToMask(old[a]).astype(bool)).sum() > coco0.annToMask(old[a]).sum()


@pytest.mark.parametrize("tool", ["stroke", "box"])
def test_labelme_a_tool_on_one_object_changes_only_its_shape(labelme_app, tool):
    url, root = labelme_app
    ds = open_dataset(root)
    i, (a, b) = next((i, p) for i in range(len(ds)) if (p := touching_same_class(ds.read_objects(i))))
    path = root / f"{ds.names[i]}.json"
    before = json.loads(path.read_text())
    others = {p.name: p.read_bytes() for p in root.glob("*.json") if p != path}
    c = Client(url, verbose=False)
    c.predict(ds.names[i], api_name="/open_item")
    edit_through_the_api(c, ds.read_objects(i), a, b, tool, "select")
    c.predict(api_name="/mark_reviewed")
    after = json.loads(path.read_text())
    assert len(after["shapes"]) == len(before["shapes"])
    for k, (old, new) in enumerate(zip(before["shapes"], after["shapes"])):
        if k + 1 == a:
            assert new != old and new["label"] == old["label"]
        else:
            assert new == old, k                     # JSON-equal, the touching shape too
    assert {p.name: p.read_bytes() for p in root.glob("*.json") if p != path} == others


def test_coco_class_reorder_delete_keep_every_other_annotation_byte_identical(coco_app):
    url, path = coco_app
    ds = open_dataset(path)
    i, top, under = next((i, o.items[k + 1].id, o.items[k].id) for i in range(len(ds))
                         for o in [ds.read_objects(i)] for k in range(len(o) - 1)
                         if o.items[k].mask.overlaps(o.items[k + 1].mask) and ds.names[i] != TEDDY)
    c = Client(url, verbose=False)
    c.predict(ds.names[i], api_name="/open_item")
    ids = sorted(r["id"] for r in c.predict(api_name="/objects"))
    original = path.read_text()
    expected = json.loads(original)
    assert original == json.dumps(expected, indent=1)
    other = next(k for k in range(1, len(ds.label_set)) if k != ds.read_objects(i).get(top).cls)
    c.predict(top, str(other), api_name="/set_object_class")
    c.predict(api_name="/mark_reviewed")             # saves (and waits for it)
    next(a for a in expected["annotations"] if a["id"] == top)["category_id"] = ds._label_to_cat[other]
    assert path.read_text() == json.dumps(expected, indent=1)
    canvas, _, _ = c.predict(top, "backward", api_name="/reorder_object")
    c.predict(api_name="/mark_reviewed")
    assert path.read_text() == json.dumps(expected, indent=1)      # COCO stores no order
    rows = c.predict(api_name="/objects")
    order = {r["id"]: r["order"] for r in rows}
    assert order[top] < order[under] and sorted(order) == ids
    assert open_dataset(path).read_objects(i).position(top) < open_dataset(path).read_objects(i).position(under)
    c.predict(under, api_name="/delete_object")
    c.predict(api_name="/mark_reviewed")
    expected["annotations"] = [a for a in expected["annotations"] if a["id"] != under]
    assert path.read_text() == json.dumps(expected, indent=1)
    assert sorted(r["id"] for r in c.predict(api_name="/objects")) == [k for k in ids if k != under]
    c.predict(api_name="/undo")                      # one step back: the object is there again
    assert under in [r["id"] for r in c.predict(api_name="/objects")]


def test_labelme_class_reorder_delete_keep_every_other_shape_byte_identical(labelme_app):
    url, root = labelme_app
    ds = open_dataset(root)
    i = 1                                              # 10 shapes
    path = root / f"{ds.names[i]}.json"
    original = path.read_text()
    expected = json.loads(original)
    end = original[len(original.rstrip("\n")):]
    c = Client(url, verbose=False)
    c.predict(ds.names[i], api_name="/open_item")
    c.predict(1, "dog", api_name="/set_object_class")
    c.predict(api_name="/mark_reviewed")
    expected["shapes"][0]["label"] = "dog"
    assert path.read_text() == json.dumps(expected, indent=2) + end
    c.predict(1, "front", api_name="/reorder_object")
    c.predict(api_name="/mark_reviewed")
    expected["shapes"].append(expected["shapes"].pop(0))
    assert path.read_text() == json.dumps(expected, indent=2) + end
    c.predict(4, api_name="/delete_object")
    c.predict(api_name="/mark_reviewed")
    del expected["shapes"][2]
    assert path.read_text() == json.dumps(expected, indent=2) + end
    assert [r["id"] for r in c.predict(api_name="/objects")] == [1, 10, 9, 8, 7, 6, 5, 3, 2]


def test_a_locked_object_keeps_its_pixels(coco_app):
    url, path = coco_app
    ds = open_dataset(path)
    i = ds.index_of(TEDDY)
    objects = ds.read_objects(i)
    a, b = touching_same_class(objects)
    c = Client(url, verbose=False)
    c.predict(TEDDY, api_name="/open_item")
    c.predict(b, True, api_name="/lock_object")
    c.predict(a, api_name="/select_object")
    ob = objects.get(b)
    ys, xs = np.nonzero(ob.mask.full(objects.shape))
    across = {"points": [[int(xs.min()), int(ys[len(ys) // 2])], [int(xs.max()), int(ys[len(ys) // 2])]],
              "radius": 6, "cls": ob.cls}
    c.predict({"pending": [across]}, api_name="/apply_edit")
    with pytest.raises(AppError, match=f"(?i)object {b} .* is locked"):
        c.predict(b, api_name="/delete_object")
    c.predict(api_name="/mark_reviewed")
    after = open_dataset(path).read_objects(i)
    assert after.get(b).mask.same(ob.mask)
    assert not (after.get(a).mask.full(objects.shape) & ob.mask.full(objects.shape) & ~objects.get(a).mask.full(objects.shape)).any()


def test_camvid_voc_objects_sky_is_a_class(camvid_app):
    """Class 0 (sky) is an object class; a class change and a delete rewrite only that
    object's pixels in SegmentationClass and SegmentationObject."""
    url, root = camvid_app
    c = Client(url, verbose=False)
    _, _, status = c.predict("1", api_name="/open_item")
    name = status.split("**")[1]
    rows = c.predict(api_name="/objects")
    sky = max((r for r in rows if r["cls"] == 0), key=lambda r: r["area"])
    assert sky["class"] == "sky" and sky["area"] > 1000
    cls_png = root / "SegmentationClass" / f"{name}.png"
    before = np.asarray(Image.open(cls_png))
    c.predict(sky["id"], api_name="/select_object")
    canvas, _, _ = c.predict(sky["id"], "building", api_name="/set_object_class")
    assert next(r for r in canvas["objects"] if r["id"] == sky["id"])["cls"] == 1 and canvas["cls"] == 1
    canvas, _, _ = c.predict(api_name="/undo")         # the class change undone: the tools' class follows
    assert canvas["cls"] == 0 and next(r for r in canvas["objects"] if r["id"] == sky["id"])["cls"] == 0
    canvas, _, _ = c.predict(api_name="/redo")
    assert canvas["cls"] == 1
    c.predict(api_name="/mark_reviewed")
    after = np.asarray(Image.open(cls_png))
    obj = np.asarray(Image.open(root / "SegmentationObject" / f"{name}.png"))
    mine = obj == sky["id"]
    assert mine.sum() == sky["area"]
    assert (after[mine] == 1).all() and (before[mine] == 0).all()
    assert np.array_equal(after[~mine], before[~mine])
    car = max((r for r in rows if r["class"] == "car"), key=lambda r: r["area"])
    c.predict(car["id"], api_name="/delete_object")
    c.predict(api_name="/mark_reviewed")
    gone = np.asarray(Image.open(cls_png))
    obj2 = np.asarray(Image.open(root / "SegmentationObject" / f"{name}.png"))
    was = obj == car["id"]
    assert not (obj2 == car["id"]).any() and (gone[was] == 255).all()    # no background: void
    assert np.array_equal(gone[~was], after[~was]) and np.array_equal(obj2[~was], obj[~was])


@pytest.fixture(scope="module")
def scenes_app(tmp_path_factory):
    demo, url = serve(scene_dataset(tmp_path_factory.mktemp("plain") / "scenes", n=2))
    yield url
    demo.close()


@pytest.mark.parametrize("args, api, words", [
    ((99999,), "/select_object", "there is no object 99999 in this image"),
    ((None, "sideways"), "/reorder_object", "where is one of forward, backward, front, back"),
    ((None, "lorry"), "/set_object_class", "no object is selected"),
    ((10, 10, 9999, "", ""), "/wand", "the wand's tolerance is a number from 0 to 255; got 9999"),
    ((10, 10, "add", "", "", 99999), "/click_point", "there is no object 99999"),
])
def test_object_mistakes_raise_one_line(coco_app, args, api, words):
    c = Client(coco_app[0], verbose=False)
    c.predict(TEDDY, api_name="/open_item")
    with pytest.raises(AppError, match=f"(?i)^{words}"):
        c.predict(*args, api_name=api)
    canvas, _, status = c.predict(api_name="/undo")    # the session goes on
    assert canvas["objects"] and TEDDY in status


def test_objects_on_a_dataset_of_class_maps(scenes_app):
    c = Client(scenes_app, verbose=False)
    canvas, _, _ = c.predict(x=160, y=120, api_name="/wand")      # tolerance and class: optional
    assert canvas["objects"] is None and (np.asarray(canvas["classes"], dtype=object)[:, 2] != "").any()
    for args, api in (((), "/objects"), ((3,), "/select_object"), ((10, 10, "add", "car", "", 3), "/click_point")):
        with pytest.raises(AppError, match="(?i)has no objects"):
            c.predict(*args, api_name=api)


def test_the_class_list_follows_the_selected_object_when_another_session_relabels_it(shared_data, tmp_path):
    """Two sessions on one COCO item: A selected the cup; B makes it a bottle and saves. After
    A's next action (others' changes come in) A's selected class is bottle, so A's next brush
    stroke joins the cup-now-bottle object instead of starting a new object of the old class."""
    import time

    from demo import team
    from demo.objects import select_object, set_object_class
    from demo.session import new_session
    from demo.session import serve as serve_dataset

    served = serve_dataset(coco24_copy(shared_data, tmp_path))
    a, b = new_session(served), new_session(served)
    for app in (a, b):
        app.workspace.open(0)
    names = a.workspace.label_set.names
    obj = a.workspace.session.objects.items[0]
    old, new = obj.cls, next(k for k, n in enumerate(names) if k != obj.cls and n not in ("background", "__background__"))
    select_object(a, obj.id)
    assert a.cls == old
    set_object_class(b, obj.id, names[new])
    b.workspace.save()
    deadline = time.monotonic() + 10     # others' changes come in at A's next action once A's
    team.after(a)                        # own writer is idle (the page also asks every 5 s)
    while a.workspace.session.objects.get(obj.id).cls != new and time.monotonic() < deadline:
        time.sleep(0.1)
        team.after(a)
    assert a.workspace.session.objects.get(obj.id).cls == new and a.cls == new
    n = len(a.workspace.session.objects)
    x0, y0, x1, y1 = obj.mask.box
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    a.workspace.session.paint([{"points": [[cx, cy], [cx + 2, cy]], "radius": 2, "cls": a.cls}])   # as the page sends it
    assert len(a.workspace.session.objects) == n and a.workspace.session.objects.get(obj.id).cls == new
    for app in (a, b):
        app.workspace.close()
    assert json.loads((tmp_path / "annotations.json").read_text())      # still a COCO file


def test_a_class_hidden_by_its_eye_hides_its_objects_boundaries(shared_data, tmp_path):
    """The object boundaries drawn over the mask leave out the objects of a class whose eye is
    off, as the mask does (their lines stayed: a new-user run); the other objects' stay."""
    from demo.object_views import edges_layer
    from demo.session import new_session
    from demo.session import serve as serve_dataset

    app = new_session(serve_dataset(coco24_copy(shared_data, tmp_path)))
    ws = app.workspace
    ws.open(ws.ds.index_of(TEDDY))
    s = ws.session
    top = s.objects.top_map(visible_only=True)
    cls = s.objects.items[-1].cls
    of_cls = np.isin(top, [k for k, o in enumerate(s.objects.items) if o.cls == cls])
    before = edges_layer(app, s, top.shape).pixels.astype(bool)
    assert before[of_cls].any() and before[~of_cls].any()
    app.hidden = frozenset({cls})
    after = edges_layer(app, s, top.shape).pixels.astype(bool)
    assert not after[of_cls].any() and np.array_equal(after[~of_cls], before[~of_cls])
    app.hidden = frozenset()
    assert np.array_equal(edges_layer(app, s, top.shape).pixels.astype(bool), before)
    ws.close()
