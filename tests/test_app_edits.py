"""Edits through the served app (gradio_client) on a VOC root of real street scenes whose class
0 is ``sky``: tools change only the object they point at, locks hold, the eraser writes void,
and Segment never wipes labels."""

import cv2
import numpy as np
import pytest
from gradio_client.exceptions import AppError
from gradio_client import Client
from PIL import Image

from conftest import grown_box, serve_app
from segcore.labels import LabelSet

CAMVID = ("sky building pole road pavement tree sign fence car pedestrian bicyclist").split()


@pytest.fixture(scope="module")
def street_app(tmp_path_factory, shared_data):
    """``(url, root, truth)``: the app serving a VOC root made from two camvid-20 scenes."""
    src = shared_data / "camvid-20"
    root = tmp_path_factory.mktemp("voc") / "streets"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    ls = LabelSet(tuple(CAMVID))
    truth = {}
    for png in sorted((src / "labels").glob("*.png"))[:2]:
        labels = np.asarray(Image.open(png)).copy()
        labels[labels == 11] = 255
        Image.open(src / "images" / png.name).convert("RGB").save(root / "JPEGImages" / f"{png.stem}.jpg", quality=95)
        out = Image.fromarray(labels, "P")
        out.putpalette(ls.palette())
        out.save(root / "SegmentationClass" / png.name)
        truth[png.stem] = labels
    (root / "labels.txt").write_text("\n".join(CAMVID) + "\n")
    with serve_app(root) as url:
        yield url, root, truth


def mask_of(value) -> np.ndarray:
    import base64
    import io

    data = base64.b64decode(value["mask"].split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)))


def objects(labels, classes=(8, 9, 5, 3)):
    for k in classes:
        n, comp, st, _ = cv2.connectedComponentsWithStats((labels == k).astype(np.uint8), connectivity=8)
        if n > 1:
            j = 1 + int(np.argmax(st[1:, cv2.CC_STAT_AREA]))
            yield k, comp == j


def test_tools_change_only_the_object_and_locks_hold(street_app):
    url, root, truth = street_app
    c = Client(url, verbose=False)
    value, _, status = c.predict("1", api_name="/open_item")
    stem = status.split("**")[1]
    labels = truth[stem]
    assert np.array_equal(mask_of(value), labels)
    assert value["overwrite"] == "unlocked" and value["erase_to"] == 255    # no class is named background
    for k, obj in objects(labels):
        near, box = grown_box(obj)
        d = cv2.distanceTransform(np.pad(obj.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        y, x = (int(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))
        for api, args in (("/click_point", (x, y, "add", CAMVID[k], "")), ("/box", (*box, CAMVID[k], "")),
                          ("/wand", (x, y, None, CAMVID[k], ""))):
            value, _, _ = c.predict(*args, api_name=api)
            changed = mask_of(value) != labels
            assert not (changed & ~near).any(), (CAMVID[k], api)
            c.predict(api_name="/undo")
    # Lock the road: a brush stroke and a box across it keep every road pixel.
    c.predict("road", True, api_name="/lock_class")
    road = labels == 3
    ys, xs = np.nonzero(road)
    y = int(np.median(ys))
    value, _, _ = c.predict({"pending": [{"points": [[0, y], [479, y]], "radius": 6, "cls": 8}]}, api_name="/apply_edit")
    assert (mask_of(value)[road] == 3).all()
    assert value["locked"] == [3]
    value, _, _ = c.predict(0, y - 40, 479, 359, "car", "", api_name="/box")
    assert (mask_of(value)[road] == 3).all()
    # A call with overwrite "any" passes the lock; then unlock.
    rx, ry = int(xs[len(xs) // 2]), int(ys[len(ys) // 2])
    value, _, _ = c.predict(rx, ry, 40, "car", "", api_name="/wand")
    assert (mask_of(value)[road] == 3).all()
    value, _, _ = c.predict(rx, ry, 40, "car", "any", api_name="/wand")
    assert (mask_of(value)[road] != 3).any()
    c.predict(api_name="/undo")
    value, _, _ = c.predict("road", False, api_name="/lock_class")
    assert value["locked"] == []
    # The eraser writes void: no class is named background, and sky (class 0) is a real class.
    sky = np.argwhere(labels == 0)[len(np.argwhere(labels == 0)) // 2]
    value, _, _ = c.predict({"pending": [{"points": [[int(sky[1]), int(sky[0])]], "radius": 3, "erase": True}]},
                            api_name="/apply_edit")
    assert mask_of(value)[sky[0], sky[1]] == 255
    value, _, _ = c.predict("pavement", api_name="/set_erase_to")
    assert value["erase_to"] == 4
    value, _, _ = c.predict("unlabelled", api_name="/set_overwrite")
    assert value["overwrite"] == "unlabelled"
    before = mask_of(value)
    value, _, _ = c.predict(0, 0, 479, 359, "car", "", api_name="/box")
    after = mask_of(value)
    assert (after[before != 255] == before[before != 255]).all()       # only void pixels may change
    c.predict("unlocked", api_name="/set_overwrite")


def test_segment_never_wipes_and_mistakes_keep_the_views(street_app):
    url, root, truth = street_app
    c = Client(url, verbose=False)
    value, _, status = c.predict("2", api_name="/open_item")
    before = mask_of(value)
    # No model knows these classes here: Segment says what to do and changes nothing.
    # Through the API a mistake raises, with its one-line message.
    with pytest.raises(AppError, match="(?i)model"):
        c.predict(None, "", None, False, api_name="/segment")
    with pytest.raises(AppError):
        c.predict(None, "grabcut", None, True, api_name="/segment")
    for args, api in (((10, 10, "add", "car", "sideways"), "/click_point"), (("nope", True), "/lock_class"),
                      (("everything",), "/set_overwrite")):
        with pytest.raises(AppError, match="(?i)overwrite|class"):
            c.predict(*args, api_name=api)
    value, _, _ = c.predict(api_name="/apply_edit")
    assert np.array_equal(mask_of(value), before)


def test_undo_of_a_pending_stroke_keeps_the_class_and_rule(street_app):
    url, root, truth = street_app
    c = Client(url, verbose=False)
    c.predict("1", api_name="/open_item")
    stroke = {"points": [[10, 10]], "radius": 2, "cls": 4}
    value, _, _ = c.predict({"cls": 4, "overwrite": "any", "pending": [stroke, stroke]}, api_name="/undo")
    assert value["cls"] == 4 and value["overwrite"] == "any" and len(value["pending"]) == 1
    c.predict("unlocked", api_name="/set_overwrite")
