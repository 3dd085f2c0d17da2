"""Polygon objects: vertices kept, moved, inserted and deleted, written back as drawn, checked on
disk with pycocotools and labelme's own drawing code.

* the class map a session shows is pycocotools' / labelme's rasterisation of the file, on every
  item of coco-24 and of labelme's example (every pixel);
* moving one vertex changes one coordinate pair of that annotation (and, in COCO, the ``area``
  and ``bbox`` it implies) and nothing else in the file;
* a new 7-corner polygon is written with 7 vertices; inserted and deleted vertices are on disk;
* painting a polygon object makes it a mask object (said, and undone); locks and the overwrite
  rule hold; mistakes raise one line;
* simplifying every mask of coco-24 at 1 px: measured (IoU with the mask, vertices against the
  staircase); the figures are printed and bounded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from copies import coco24_copy
from copies import labelme_copy as copy_labelme
from segcore import open_dataset
from segcore.dataset import Workspace
from segcore.edit import ObjectSession
from segcore.errors import PromptError
from segcore.formats.coco import paint_order
from segcore.labels import LabelSet
from segcore.objects import Obj, ObjMask, Objects, Polygon, mask_to_polygon, staircase_vertices

SEVEN = [[40.0, 20.0], [90.0, 25.0], [120.0, 60.0], [110.0, 110.0], [70.0, 130.0], [30.0, 100.0], [20.0, 55.0]]


@pytest.fixture
def coco_copy(shared_data, tmp_path):
    """coco-24's JSON in a fresh folder (as Python's json writes it, indent 1), images linked."""
    return coco24_copy(shared_data, tmp_path)


@pytest.fixture
def labelme_copy(shared_data, tmp_path):
    return copy_labelme(shared_data, tmp_path / "lm")


def labelme_utils():
    return pytest.importorskip("labelme.utils")


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b), "the file gained or lost lines"
    return [(x, y) for x, y in zip(a, b) if x != y]


# -- what the canvas shows is what the formats' own tools draw ---------------------------------
def test_coco_class_map_is_pycocotools_rasterisation_on_every_item(coco_copy):
    coco = COCO(str(coco_copy))
    ds = open_dataset(coco_copy)
    ws = Workspace(ds)
    cat_to_label = {c["id"]: ds.label_set.index_of(c["name"]) for c in coco.dataset["categories"]}
    polygons = 0
    for i, img in enumerate(coco.dataset["images"]):
        s = ws.open(i)
        anns = coco.imgToAnns[img["id"]]
        masks = [coco.annToMask(a).astype(bool) for a in anns]
        want = np.full((img["height"], img["width"]), ds.label_set.unlabelled, np.uint8)
        for k in paint_order([int(m.sum()) for m in masks]):
            want[masks[k]] = cat_to_label[anns[k]["category_id"]]
        assert np.array_equal(s.labels, want), f"item {i}: {(s.labels != want).sum()} pixels differ"
        for a, m in zip(anns, masks):
            o = s.objects.get(a["id"])
            assert o.polygon is not None and o.polygon.coco_segmentation() == a["segmentation"]
            assert np.array_equal(o.mask.full(m.shape), m)
            polygons += 1
    assert polygons == 130


def test_labelme_class_map_is_labelmes_rasterisation_on_every_item(labelme_copy):
    lu = labelme_utils()
    ds = open_dataset(labelme_copy)
    ws = Workspace(ds)
    ls = ds.label_set
    values = {n: k for k, n in enumerate(ls.names)}
    values["__ignore__"] = -1
    values["_background_"] = ls.background
    for i in range(len(ds)):
        s = ws.open(i)
        data = json.loads((labelme_copy / f"{ds.names[i]}.json").read_text())
        cls, _ = lu.shapes_to_label((data["imageHeight"], data["imageWidth"]), data["shapes"], values)
        want = np.where(cls == -1, ls.void_index, cls).astype(np.uint8)
        assert np.array_equal(s.labels, want), f"{ds.names[i]}: {(s.labels != want).sum()} pixels differ"
        for o, shape in zip(s.objects, data["shapes"]):
            assert o.polygon is not None and o.polygon.labelme_points() == shape["points"]


# -- moving one vertex changes one coordinate pair --------------------------------------------
def test_coco_moving_one_vertex_changes_one_pair_of_that_annotation_and_nothing_else(coco_copy):
    ds = open_dataset(coco_copy)
    ws = Workspace(ds)
    for i in range(len(ds)):
        s = ws.open(i)
        o = s.objects.items[-1]                      # the top object
        v = s.vertices(o.id)["parts"][0]
        k = len(v) // 2
        x, y = v[k]
        before = coco_copy.read_text()
        old = {a["id"]: a for a in json.loads(before)["annotations"]}
        s.move_vertex(o.id, k, x + 2.5, y - 1.25)
        ws.save()
        after = coco_copy.read_text()
        new = {a["id"]: a for a in json.loads(after)["annotations"]}
        assert new.keys() == old.keys()
        for aid in old:
            if aid != o.id:
                assert new[aid] == old[aid]
        a, b = old[o.id]["segmentation"][0], new[o.id]["segmentation"][0]
        assert len(a) == len(b)
        diff = [j for j in range(len(a)) if a[j] != b[j]]
        assert diff == [2 * k, 2 * k + 1] and b[2 * k:2 * k + 2] == [round(x + 2.5, 2), round(y - 1.25, 2)]
        assert {key for key in old[o.id] if old[o.id][key] != new[o.id][key]} <= {"segmentation", "area", "bbox"}
        poly = np.asarray(b, float).reshape(-1, 2)
        area = 0.5 * abs(np.dot(poly[:, 0], np.roll(poly[:, 1], -1)) - np.dot(poly[:, 1], np.roll(poly[:, 0], -1)))
        assert new[o.id]["area"] == pytest.approx(area, abs=0.01)
        assert new[o.id]["bbox"] == pytest.approx([*poly.min(0), *(poly.max(0) - poly.min(0))], abs=0.01)
        # only the two numbers, the area and (where an extreme vertex moved) the bbox lines changed
        lines = changed_lines(before, after)
        assert 2 <= len(lines) <= 2 + 1 + 4, lines
        # pycocotools draws the file as the session shows it
        h, w = s.shape
        drawn = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([b], h, w))).astype(bool)
        assert np.array_equal(drawn, s.objects.get(o.id).mask.full((h, w)))
        assert np.array_equal(ds.read_objects(i).class_map(), s.labels)


def test_labelme_moving_one_vertex_changes_one_pair_and_nothing_else(labelme_copy):
    lu = labelme_utils()
    ds = open_dataset(labelme_copy)
    ws = Workspace(ds)
    for i in range(len(ds)):
        s = ws.open(i)
        path = labelme_copy / f"{ds.names[i]}.json"
        o = s.objects.items[0]
        x, y = s.vertices(o.id)["parts"][0][1]
        before = path.read_text()
        s.move_vertex(o.id, 1, x + 3.5, y - 2)
        ws.save()
        after = path.read_text()
        lines = changed_lines(before, after)
        assert [b.strip() for _, b in lines] == [f"{round(x + 3.5, 2)},", f"{round(y - 2, 2)}"]
        shape = json.loads(after)["shapes"][0]
        drawn = lu.shape_to_mask(s.shape, shape["points"], shape["shape_type"])
        assert np.array_equal(drawn, s.objects.get(o.id).mask.full(s.shape))


# -- new polygons, inserted and deleted vertices ----------------------------------------------
def test_coco_new_seven_corner_polygon_is_written_with_seven_vertices(coco_copy):
    ds = open_dataset(coco_copy)
    ws = Workspace(ds)
    s = ws.open(2)
    oid = s.polygon(SEVEN, "person")
    assert s.selected == oid and s.objects.get(oid).polygon.n_vertices == 7
    ws.save()
    coco = COCO(str(coco_copy))
    (ann,) = [a for a in coco.dataset["annotations"] if a["id"] == oid]
    assert ann["segmentation"] == [[v for p in SEVEN for v in p]]
    assert np.array_equal(coco.annToMask(ann).astype(bool), s.objects.get(oid).mask.full(s.shape))
    # insert one, delete another: each on disk, each one undoable step
    steps = len(s.history)
    s.insert_vertex(oid, 3, 125.0, 90.0)
    s.delete_vertex(oid, 0)
    assert len(s.history) == steps + 2
    ws.save()
    ann = [a for a in json.loads(coco_copy.read_text())["annotations"] if a["id"] == oid][0]
    want = SEVEN[1:3] + [[125.0, 90.0]] + SEVEN[3:]
    assert ann["segmentation"] == [[v for p in want for v in p]]
    s.undo()
    assert s.vertices(oid)["parts"][0] == SEVEN[:3] + [[125.0, 90.0]] + SEVEN[3:]
    s.undo()
    assert s.vertices(oid)["parts"][0] == SEVEN


def test_labelme_new_seven_corner_polygon_is_written_with_seven_points(labelme_copy):
    lu = labelme_utils()
    ds = open_dataset(labelme_copy)
    ws = Workspace(ds)
    s = ws.open(2)
    oid = s.polygon(SEVEN, "car")
    ws.save()
    shape = json.loads((labelme_copy / f"{ds.names[2]}.json").read_text())["shapes"][-1]
    assert shape["label"] == "car" and shape["shape_type"] == "polygon" and shape["points"] == SEVEN
    drawn = lu.shape_to_mask(s.shape, shape["points"], "polygon")
    assert np.array_equal(drawn, s.objects.get(oid).mask.full(s.shape))


def test_labelme_rectangle_keeps_its_two_points_and_a_corner_moves_two_numbers(labelme_copy):
    lu = labelme_utils()
    path = labelme_copy / "2011_000025.json"
    data = json.loads(path.read_text())
    data["shapes"].append({"label": "car", "points": [[10.0, 20.0], [60.0, 50.0]], "group_id": None,
                           "description": "", "shape_type": "rectangle", "flags": {}})
    path.write_text(json.dumps(data, indent=2))
    ds = open_dataset(labelme_copy)
    ws = Workspace(ds)
    s = ws.open(ds.names.index("2011_000025"))
    o = s.objects.items[-1]
    assert o.polygon.kind == "rectangle"
    assert s.vertices(o.id)["parts"][0] == [[10.0, 20.0], [60.0, 20.0], [60.0, 50.0], [10.0, 50.0]]
    s.move_vertex(o.id, 1, 70.0, 15.0)              # top right: x of the 2nd point, y of the 1st
    ws.save()
    shape = json.loads(path.read_text())["shapes"][-1]
    assert shape["shape_type"] == "rectangle" and shape["points"] == [[10.0, 15.0], [70.0, 50.0]]
    drawn = lu.shape_to_mask(s.shape, shape["points"], "rectangle")
    assert np.array_equal(drawn, s.objects.get(o.id).mask.full(s.shape))
    s.insert_vertex(o.id, 2, 80.0, 30.0)            # a fifth corner: now a polygon
    ws.save()
    shape = json.loads(path.read_text())["shapes"][-1]
    assert shape["shape_type"] == "polygon" and len(shape["points"]) == 5


# -- masks and polygons -------------------------------------------------------------------------
def square_session(rule="coco", locked=False):
    ls = LabelSet(("background", "car", "person"))
    m = np.zeros((60, 80), bool)
    m[30:50, 50:70] = True
    poly = Polygon([[(10.0, 10.0), (40.0, 10.0), (40.0, 40.0), (10.0, 40.0)]], rule)
    items = [Obj(1, 1, poly.raster((60, 80)), polygon=poly), Obj(2, 2, ObjMask.from_full(m), locked=locked)]
    rgb = np.zeros((60, 80, 3), np.uint8)
    return ObjectSession(rgb, Objects((60, 80), ls, items, polygon_rule=rule))


def test_painting_a_polygon_makes_it_a_mask_and_undo_brings_the_polygon_back():
    s = square_session()
    s.select(1)
    s.paint([{"points": [[40, 25], [45, 25]], "radius": 2, "erase": False, "cls": 1}])
    assert s.objects.get(1).polygon is None and s.unpolygoned == (1,)
    with pytest.raises(PromptError, match="is a mask, not a polygon"):
        s.move_vertex(1, 0, 5, 5)
    s.undo()
    assert s.objects.get(1).polygon is not None and s.unpolygoned == ()
    s.move_vertex(1, 0, 5, 5)                       # vertex edits work again
    assert s.vertices(1)["parts"][0][0] == [5.0, 5.0]


def test_vertex_edits_refuse_locked_pixels_but_not_pixels_already_covered():
    s = square_session(locked=True)
    before = s.objects
    with pytest.raises(PromptError, match=r"cover \d+ pixels of locked object 2 \(person\)") as e:
        s.move_vertex(1, 2, 60.0, 45.0)              # the far corner into the locked person
    assert "\n" not in str(e.value) and s.objects is before
    s.move_vertex(1, 2, 60.0, 45.0, overwrite="any")  # the user lifts the rule
    s.move_vertex(1, 0, 12.0, 12.0)                   # covers the person as before: allowed
    assert s.vertices(1)["parts"][0][0] == [12.0, 12.0]
    # a NEW polygon on a locked object is added as a mask of what the rule allows
    oid = s.polygon([[45, 25], [75, 25], [75, 55], [45, 55]], "car")
    new = s.objects.get(oid)
    assert new.polygon is None and s.clipped > 0
    assert not (new.mask.full(s.shape) & s.objects.get(2).mask.full(s.shape)).any()


def test_mistakes_raise_one_line():
    s = square_session()
    cases = [
        (lambda: s.set_vertices(1, [[1, 1], [5, 5]]), "at least three vertices"),
        (lambda: [s.delete_vertex(1, 0) for _ in range(2)], "keeps at least three vertices"),
        (lambda: s.move_vertex(1, 9, 1, 1), "vertices 0-"),
        (lambda: s.move_vertex(1, 0, 500, 1), "off the 80x60 image"),
        (lambda: s.move_vertex(2, 0, 1, 1), "is a mask, not a polygon"),
        (lambda: s.move_vertex(99, 0, 1, 1), "there is no object 99"),
        (lambda: s.move_vertex(1, 0, "a", 1), "must be numbers"),
        (lambda: s.simplify(2, 0), "tolerance is a number of pixels above 0"),
        (lambda: s.polygon([[1, 1], [2, 2]], "car"), "at least three vertices"),
        (lambda: s.move_polygon(1, 100, 0), "off the 80x60 image"),
    ]
    for call, words in cases:
        with pytest.raises(PromptError, match=words) as e:
            call()
        assert "\n" not in str(e.value)


def test_a_self_crossing_polygon_is_allowed_and_drawn_as_the_format_draws_it():
    s = square_session()
    s.set_vertices(1, [[10, 10], [40, 40], [40, 10], [10, 40]])     # a bow tie
    o = s.objects.get(1)
    seg = o.polygon.coco_segmentation()
    want = mask_utils.decode(mask_utils.frPyObjects(seg, 60, 80)[0]).astype(bool)
    assert np.array_equal(o.mask.full((60, 80)), want) and o.area > 0


def test_simplify_fills_holes_and_keeps_one_labelme_piece():
    s = square_session("labelme")
    m = np.zeros((60, 80), bool)
    m[5:45, 5:45] = True
    m[20:25, 20:25] = False                       # a hole
    s.add_objects([("car", m, None)])
    oid = s.objects.items[-1].id
    o = s.simplify(oid, 1.0)
    assert o.polygon.rule == "labelme" and s.filled == (1, 25)
    assert o.polygon.n_vertices <= 6
    two = m.copy()
    two[50:55, 60:70] = True
    s.add_objects([("car", two, None)])
    with pytest.raises(PromptError, match="2 separate pieces"):
        s.simplify(s.objects.items[-1].id, 1.0)


# -- simplify every mask of coco-24 ---------------------------------------------------------------
def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_simplifying_every_coco24_mask_at_1px(shared_data, capsys):
    """Every annotation of coco-24 drawn as a mask object, simplified at 1 px: IoU of the
    polygon's pycocotools raster with the mask, and its vertices against the staircase
    (the pixel-edge outline a mask object is written with)."""
    ds = open_dataset(shared_data / "coco-24" / "annotations.json")
    rows, total = [], np.zeros(4, np.int64)     # intersection, union, vertices, staircase vertices
    for i in range(len(ds)):
        objects = ds.read_objects(i)
        for o in objects:
            got = mask_to_polygon(o.mask, 1.0, "coco")
            drawn = got.polygon.raster(objects.shape)
            seg = got.polygon.coco_segmentation()
            h, w = objects.shape
            by_coco = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w))).astype(bool)
            assert np.array_equal(by_coco, drawn.full(objects.shape))      # pycocotools draws what we show
            m = o.mask.full(objects.shape)
            stair = staircase_vertices(o.mask)
            rows.append((iou(by_coco, m), got.polygon.n_vertices / stair, o.area,
                         o.polygon.n_vertices / stair))
            total += np.array([(by_coco & m).sum(), (by_coco | m).sum(), got.polygon.n_vertices, stair])
    r = np.asarray(rows)
    pooled_iou, pooled_share = total[0] / total[1], total[2] / total[3]
    big = r[:, 2] >= 5000
    both = (r[:, 0] >= 0.98) & (r[:, 1] <= 0.1)
    with capsys.disabled():
        q = lambda a: " ".join(f"{v:.3f}" for v in np.percentile(a, [0, 10, 50, 90, 100]))  # noqa: E731
        print(f"\nsimplify 1 px over all {len(r)} coco-24 masks pooled: IoU {pooled_iou:.4f}, vertices "
              f"{pooled_share:.3f} of the staircase's. Per mask: IoU min/p10/median/p90/max {q(r[:, 0])}; "
              f"vertices/staircase {q(r[:, 1])}; IoU>=0.98 and <=1/10: {both.sum()} "
              f"(of {big.sum()} masks >= 5000 px: {both[big].sum()}); the file's own polygons/staircase "
              f"median {np.median(r[:, 3]):.3f}")
    assert len(r) == 130
    assert pooled_iou >= 0.98 and pooled_share <= 0.1      # the figure, over every mask at once
    assert np.median(r[:, 0]) >= 0.98 and r[big, 0].min() >= 0.97
    assert np.median(r[:, 1]) <= 0.15 and np.median(r[big, 1]) <= 0.1


def test_voc_polygon_follows_pycocotools_and_is_written_as_its_pixels(tmp_path):
    """A VOC root with SegmentationObject holds pixels: a polygon drawn there is pycocotools'
    rasterisation, written into both PNGs; reopened, it is a mask object of the same pixels."""
    from PIL import Image

    from segcore.formats.voc import write_label_png
    from segcore.labels import LabelSet as LS, voc_colormap

    root = tmp_path / "voc"
    for d in ("JPEGImages", "SegmentationClass", "SegmentationObject"):
        (root / d).mkdir(parents=True)
    Image.fromarray(np.zeros((60, 80, 3), np.uint8)).save(root / "JPEGImages" / "a.jpg")
    cls = np.zeros((60, 80), np.uint8)
    obj = np.zeros((60, 80), np.uint8)
    cls[5:15, 5:20], obj[5:15, 5:20] = 15, 1
    write_label_png(root / "SegmentationClass" / "a.png", cls, LS.voc())
    im = Image.fromarray(obj, mode="P")
    im.putpalette(voc_colormap().ravel().tolist())
    im.save(root / "SegmentationObject" / "a.png")
    ws = Workspace(open_dataset(root))
    s = ws.open(0)
    pts = [[30.0, 20.0], [70.5, 25.0], [60.0, 55.0], [35.0, 50.0]]
    k = s.polygon(pts, "car")
    want = mask_utils.decode(mask_utils.frPyObjects([[v for p in pts for v in p]], 60, 80)[0]).astype(bool)
    assert s.objects.get(k).polygon.rule == "coco"
    assert np.array_equal(s.objects.get(k).mask.full((60, 80)), want)
    ws.save()
    got = np.asarray(Image.open(root / "SegmentationObject" / "a.png"))
    assert np.array_equal(got == k, want)
    back = open_dataset(root).read_objects(0).get(k)
    assert back.polygon is None and np.array_equal(back.mask.full((60, 80)), want)


def test_two_saves_of_one_polygon_merge_keeping_its_vertices():
    """Two sessions from one version: one changes a polygon's class, the other moves a vertex.
    The merged save is the moved polygon (vertices kept) of the new class."""
    from segcore.dataset.merge import merge_objects

    base = square_session().objects
    mine = base.replace_obj(base.get(1).replace(cls=2))
    moved = base.get(1).polygon.with_vertex(0, 2, 45.0, 44.0)
    theirs = base.replace_obj(base.get(1).replace(mask=moved.raster(base.shape), polygon=moved))
    got = merge_objects(base, mine, theirs).objects.get(1)
    assert got.cls == 2 and got.polygon == moved and got.mask.same(moved.raster(base.shape))


def test_a_painted_polygon_saved_and_undone_is_not_taken_for_another_save(coco_copy):
    """A polygon painted into a mask is written as its exact outline, which reads back as a
    polygon of the same pixels: the next save (here an undo, back to the polygon) must not take
    that for another session's change of the object."""
    from segcore.dataset.sync import save_item

    ds = open_dataset(coco_copy)
    base = ds.read_objects(0)
    o = base.items[-1]
    s = ObjectSession(ds.read_image(0), base)
    x0, y0, x1, y1 = o.box
    s.select(o.id)
    s.paint([{"points": [[x0 - 4, (y0 + y1) // 2], [x1 + 4, (y0 + y1) // 2]], "radius": 3, "cls": o.cls}])
    painted = s.objects
    saved = save_item(ds, 0, base, painted)
    assert saved.theirs == 0
    back = ds.read_objects(0).get(o.id)
    assert back.polygon is not None and back.mask.same(painted.get(o.id).mask)   # the staircase, as a polygon
    s.undo()
    again = save_item(ds, 0, saved.labels, s.objects)
    assert again.theirs == 0
    assert ds.read_objects(0).get(o.id).polygon == o.polygon                     # the vertices, on disk again
