"""Polygon objects through the served app (gradio_client), checked on disk with pycocotools and
labelme's own drawing: the canvas's class map is the formats' rasterisation of the file on every
item; /vertices reads an object's vertices, /move_vertex changes one coordinate pair of that
annotation and nothing else, /insert_vertex and /delete_vertex are on disk, /polygon writes a new
7-corner polygon with 7 vertices, /simplify makes a mask object a polygon, and each mistake
raises one line. Data: copies of ../shared/data/coco-24 and the labelme example."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image
from pycocotools.coco import COCO

from copies import coco_app, labelme_app  # noqa: F401 (fixtures)
from segcore import open_dataset
from segcore.formats.coco import paint_order

SEVEN = [[40.0, 20.0], [90.0, 25.0], [120.0, 60.0], [110.0, 110.0], [70.0, 130.0], [30.0, 100.0], [20.0, 55.0]]


def canvas_classes(canvas) -> np.ndarray:
    """The class map the canvas draws: the palette indices of its mask PNG."""
    data = base64.b64decode(canvas["mask"].split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "P"
        return np.asarray(im).copy()


def anns_of(path) -> dict:
    return {a["id"]: a for a in json.loads(path.read_text())["annotations"]}


def test_coco_canvas_class_map_is_pycocotools_on_every_item(coco_app):
    url, path = coco_app
    c = Client(url, verbose=False)
    coco = COCO(str(path))
    names = [cat["name"] for cat in sorted(coco.dataset["categories"], key=lambda c: c["id"])]
    label = {cat["id"]: 1 + names.index(cat["name"]) for cat in coco.dataset["categories"]}
    for img in coco.dataset["images"]:
        canvas, _, _ = c.predict(img["file_name"], api_name="/open_item")
        anns = coco.imgToAnns[img["id"]]
        masks = [coco.annToMask(a).astype(bool) for a in anns]
        want = np.zeros((img["height"], img["width"]), np.uint8)       # background: class 0 here
        for k in paint_order([int(m.sum()) for m in masks]):
            want[masks[k]] = label[anns[k]["category_id"]]
        got = canvas_classes(canvas)
        assert np.array_equal(got, want), f"{img['file_name']}: {(got != want).sum()} pixels differ"


def test_labelme_canvas_class_map_is_labelmes_on_every_item(labelme_app):
    lu = pytest.importorskip("labelme.utils")
    url, root = labelme_app
    c = Client(url, verbose=False)
    ds = open_dataset(root)
    values = {n: k for k, n in enumerate(ds.label_set.names)}
    values["__ignore__"], values["_background_"] = 255, ds.label_set.background
    for name in ds.names:
        canvas, _, _ = c.predict(name, api_name="/open_item")
        data = json.loads((root / f"{name}.json").read_text())
        want, _ = lu.shapes_to_label((data["imageHeight"], data["imageWidth"]), data["shapes"], values)
        got = canvas_classes(canvas)
        assert np.array_equal(got, want.astype(np.uint8)), f"{name}: {(got != want).sum()} pixels differ"


def test_coco_vertices_moved_inserted_deleted_through_the_api(coco_app):
    url, path = coco_app
    c = Client(url, verbose=False)
    name = "000000000569.jpg"
    c.predict(name, api_name="/open_item")
    rows = c.predict(api_name="/objects")
    oid = rows[0]["id"]                                   # the top object
    v = c.predict(oid, api_name="/vertices")
    assert v["id"] == oid and v["shape"] == "polygon" and v["rule"] == "coco" and v["offset"] == 0
    pts = v["parts"][0]
    before_text, before = path.read_text(), anns_of(path)
    assert before[oid]["segmentation"] == [[u for p in pts for u in p]]
    k = len(pts) // 2
    canvas, _, _ = c.predict(oid, k, pts[k][0] + 1.5, pts[k][1] - 0.75, 0, "", api_name="/move_vertex")
    assert canvas["selected"] == oid and canvas["polygon"]["parts"][0][k] == [pts[k][0] + 1.5, pts[k][1] - 0.75]
    c.predict(api_name="/mark_reviewed")                  # saves, and waits for it
    after = anns_of(path)
    seg0, seg1 = before[oid]["segmentation"][0], after[oid]["segmentation"][0]
    assert [j for j in range(len(seg0)) if seg0[j] != seg1[j]] == [2 * k, 2 * k + 1]
    assert all(after[a] == before[a] for a in before if a != oid)
    changed = [(x, y) for x, y in zip(before_text.splitlines(), path.read_text().splitlines()) if x != y]
    assert all(any(w in y for w in ("area", ",", "]")) for _, y in changed) and len(changed) <= 7
    # a vertex inserted after k, then deleted again: each on disk
    c.predict(oid, k + 1, pts[k][0], pts[k][1] + 4, 0, "", api_name="/insert_vertex")
    c.predict(api_name="/mark_reviewed")
    seg2 = anns_of(path)[oid]["segmentation"][0]
    assert len(seg2) == len(seg1) + 2 and seg2[2 * k + 2:2 * k + 4] == [pts[k][0], pts[k][1] + 4]
    c.predict(oid, k + 1, 0, "", api_name="/delete_vertex")
    c.predict(api_name="/mark_reviewed")
    assert anns_of(path)[oid]["segmentation"][0] == seg1
    # a new 7-corner polygon: written with 7 vertices, drawn by pycocotools as the canvas shows it
    canvas, _, _ = c.predict(SEVEN, "person", "", None, api_name="/polygon")
    new = canvas["selected"]
    assert canvas["polygon"]["parts"][0] == SEVEN
    c.predict(api_name="/mark_reviewed")
    ann = anns_of(path)[new]
    assert ann["segmentation"] == [[u for p in SEVEN for u in p]]
    coco = COCO(str(path))
    img = next(i for i in coco.dataset["images"] if i["file_name"] == name)
    drawn = canvas_classes(canvas)
    person = 1 + [cat["name"] for cat in sorted(coco.dataset["categories"], key=lambda c: c["id"])].index("person")
    top = coco.annToMask(ann).astype(bool)
    assert top.shape == (img["height"], img["width"]) and (drawn[top] == person).all()


def test_labelme_vertex_move_and_seven_corners_through_the_api(labelme_app):
    lu = pytest.importorskip("labelme.utils")
    url, root = labelme_app
    c = Client(url, verbose=False)
    name = "2011_000025"
    path = root / f"{name}.json"
    c.predict(name, api_name="/open_item")
    v = c.predict(1, api_name="/vertices")                # shape 1 (the first in the file)
    assert v["rule"] == "labelme" and v["offset"] == 0.5
    x, y = v["parts"][0][2]
    before = path.read_text()
    c.predict(1, 2, x - 2.25, y + 1, 0, "", api_name="/move_vertex")
    c.predict(api_name="/mark_reviewed")
    changed = [(a, b) for a, b in zip(before.splitlines(), path.read_text().splitlines()) if a != b]
    assert [b.strip() for _, b in changed] == [f"{round(x - 2.25, 2)},", f"{round(y + 1, 2)}"]
    canvas, _, _ = c.predict(SEVEN, "car", "", None, api_name="/polygon")
    c.predict(api_name="/mark_reviewed")
    shape = json.loads(path.read_text())["shapes"][-1]
    assert shape["points"] == SEVEN and shape["shape_type"] == "polygon" and shape["label"] == "car"
    m = lu.shape_to_mask((canvas["h"], canvas["w"]), SEVEN, "polygon")
    ds = open_dataset(root)
    assert (canvas_classes(canvas)[m] == ds.label_set.index_of("car")).all()


def test_simplify_a_mask_object_through_the_api(coco_app):
    url, path = coco_app
    c = Client(url, verbose=False)
    c.predict("000000000575.jpg", api_name="/open_item")
    oid = c.predict(api_name="/objects")[0]["id"]
    # the polygon tool with the object's id adds its inside to that object: a mask object now
    v = c.predict(oid, api_name="/vertices")["parts"][0]
    x, y = v[0]
    tri = [[x, y], [x + 30, y], [x, y + 30]]
    canvas, _, _ = c.predict(tri, "", "", oid, api_name="/polygon")
    row = next(r for r in canvas["objects"] if r["id"] == oid)
    assert row["vertices"] == 0 and canvas["polygon"] is None
    with pytest.raises(AppError, match="is a mask, not a polygon"):
        c.predict(oid, api_name="/vertices")
    c.predict(api_name="/mark_reviewed")
    coco = COCO(str(path))
    mask = coco.annToMask(anns_of(path)[oid]).astype(bool)
    stair = len(anns_of(path)[oid]["segmentation"][0]) // 2           # the pixel-exact staircase
    canvas, _, _ = c.predict(oid, 1.0, "", api_name="/simplify")
    n = canvas["polygon"]["parts"]
    assert sum(len(p) for p in n) <= stair / 4
    c.predict(api_name="/mark_reviewed")
    coco = COCO(str(path))
    poly = coco.annToMask(anns_of(path)[oid]).astype(bool)
    assert (poly & mask).sum() / (poly | mask).sum() >= 0.98
    # undo brings the mask back (and its staircase on disk)
    c.predict(api_name="/undo")
    c.predict(api_name="/mark_reviewed")
    assert len(anns_of(path)[oid]["segmentation"][0]) // 2 == stair


@pytest.mark.parametrize("args, api, words", [
    ((None, 99, 1.0, 1.0, 0, ""), "/move_vertex", "vertices 0-"),
    ((None, 0, 9999.0, 1.0, 0, ""), "/move_vertex", "off the"),
    ((None, [[1, 1], [5, 5]], ""), "/set_vertices", "at least three vertices"),
    ((None, -1.0, ""), "/simplify", "tolerance is a number of pixels above 0"),
    ((12345,), "/vertices", "there is no object 12345"),
    ((None, 0, "x", 1.0, 0, ""), "/move_vertex", "must be numbers"),
])
def test_vertex_mistakes_raise_one_line(coco_app, args, api, words):
    url, _ = coco_app
    c = Client(url, verbose=False)
    c.predict("000000000569.jpg", api_name="/open_item")
    oid = c.predict(api_name="/objects")[0]["id"]
    args = (oid, *args[1:]) if args[0] is None else args
    with pytest.raises(AppError, match="(?i)" + words) as e:
        c.predict(*args, api_name=api)
    assert "\n" not in str(e.value).strip()


def test_a_vertex_move_onto_a_locked_object_is_refused(coco_app):
    url, path = coco_app
    c = Client(url, verbose=False)
    c.predict("000000000562.jpg", api_name="/open_item")
    ds = open_dataset(path)
    objects = ds.read_objects(ds.index_of("000000000562.jpg"))
    small, big = objects.items[-1], objects.items[0]          # a toothbrush in its cup
    assert small.mask.overlaps(big.mask)
    c.predict(big.id, True, api_name="/lock_object")
    v = c.predict(small.id, api_name="/vertices")["parts"][0]
    far = max(range(len(v)), key=lambda j: v[j][0])
    # pull the vertex 40 pixels right, over pixels of the cup it did not cover
    with pytest.raises(AppError, match=r"locked object \d+ \(cup\)"):
        c.predict(small.id, far, v[far][0] + 40, v[far][1], 0, "", api_name="/move_vertex")
    assert c.predict(small.id, api_name="/vertices")["parts"][0] == v
    c.predict(small.id, far, v[far][0] + 40, v[far][1], 0, "any", api_name="/move_vertex")   # the rule lifted
    c.predict(big.id, False, api_name="/lock_object")
    c.predict(api_name="/undo")
