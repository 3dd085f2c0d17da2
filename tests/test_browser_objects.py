"""The object list in Chromium on a copy of coco-24, checked on disk with the COCO JSON: select an
object on the canvas (Select, V), hide it, change its class, delete it, and make a new object
beside one of the same class; every other annotation stays as it was. Screenshots are kept in
a temporary folder (printed)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from segcore import open_dataset
from test_browser_canvas import MASK_PIXEL as MASK_RGBA, View, open_page

TEDDY = "000000000612.jpg"          # teddy bears touching each other


@pytest.fixture(scope="module")
def coco_app(shared_data, tmp_path_factory):
    from conftest import serve_app

    src = shared_data / "coco-24"
    folder = tmp_path_factory.mktemp("coco")
    data = json.loads((src / "annotations.json").read_text())
    (folder / "annotations.json").write_text(json.dumps(data, indent=1))
    (folder / "images").symlink_to(src / "images")
    with serve_app(folder / "annotations.json") as url:
        yield url, folder / "annotations.json"


def anns(path) -> dict[int, dict]:
    return {a["id"]: a for a in json.loads(path.read_text())["annotations"]}


def on_disk(path, check, timeout=15.0) -> dict[int, dict]:
    """The annotations once ``check(annotations)`` holds (edits are saved in the background)."""
    end = time.time() + timeout
    while True:
        got = anns(path)
        if check(got):
            return got
        if time.time() > end:
            raise AssertionError("the file never showed the change")
        time.sleep(0.2)


def inside(objects, obj_id) -> tuple[int, int]:
    """A pixel deep inside where object ``obj_id`` is the top one (a click there picks it)."""
    top = objects.top_map(visible_only=True)
    mine = (top == objects.position(obj_id)).astype(np.uint8)
    d = cv2.distanceTransform(np.pad(mine, 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return int(x), int(y)


def beside(objects, obj_id, gap=4) -> list[tuple[int, int]]:
    """A short stroke just outside object ``obj_id``, where no object lies."""
    H, W = objects.shape
    m = objects.get(obj_id).mask.full(objects.shape).astype(np.uint8)
    ring = cv2.dilate(m, np.ones((2 * gap + 1, 2 * gap + 1), np.uint8)).astype(bool) & ~m.astype(bool)
    free = ring & (objects.top_map(visible_only=False) < 0)
    free[:8], free[-8:], free[:, :8], free[:, -8:] = False, False, False, False
    ys, xs = np.nonzero(free)
    k = len(xs) // 2
    return [(int(xs[k]), int(ys[k])), (int(xs[k]), int(ys[k]))]


def test_select_hide_change_class_delete_and_a_new_object(coco_app, browser):
    url, path = coco_app
    shots = Path(tempfile.mkdtemp(prefix="segcore-objects-"))
    ds = open_dataset(path)
    i = ds.index_of(TEDDY)
    objects = ds.read_objects(i)
    teddy = ds.label_set.names.index("teddy bear")
    a = max((o for o in objects if o.cls == teddy), key=lambda o: o.area).id
    original = anns(path)
    page = open_page(browser, url)
    try:
        v = View(page)
        before = v.shown()
        page.locator("#files .sc-file", has_text=TEDDY).click()
        v.wait_update(before)
        page.wait_for_function("() => document.querySelectorAll('#canvas .sc-obj').length > 1")
        assert page.locator("#canvas .sc-obj").count() == len(objects)
        page.screenshot(path=str(shots / "1-objects.png"))
        # The menu over the list shows one class's objects; the list stays within the canvas.
        page.locator("#canvas .sc-objfilter").select_option(label="teddy bear")
        assert page.locator("#canvas .sc-obj").count() == sum(o.cls == teddy for o in objects) < len(objects)
        stage, listed = v.stage(), page.locator("#canvas .sc-objlist").bounding_box()
        assert listed["y"] + listed["height"] <= stage["y"] + stage["height"] + 1
        page.locator("#canvas .sc-objfilter").select_option(index=0)
        # Select (V) and a click on the object: it is selected, outlined, its row marked.
        page.keyboard.press("v")
        x, y = inside(objects, a)
        before = v.shown()
        page.mouse.click(*v.at(x, y))
        v.wait_update(before)
        row = page.locator("#canvas .sc-obj.sc-on")
        assert row.get_attribute("data-id") == str(a)
        assert page.locator("#canvas .sc-classes .sc-on .sc-name").inner_text() == "teddy bear"
        assert page.locator("#canvas .sc-objbar .sc-objclass").input_value() == str(teddy)
        page.screenshot(path=str(shots / "2-selected.png"))
        # Tab selects the next row down the list (marked at once, then answered), Shift+Tab back.
        ids = [r.get_attribute("data-id") for r in page.locator("#canvas .sc-obj[data-id]").all()]
        nxt = ids[(ids.index(str(a)) + 1) % len(ids)]
        before = v.shown()
        page.keyboard.press("Tab")
        assert page.locator("#canvas .sc-obj.sc-on").get_attribute("data-id") == nxt
        v.wait_update(before)
        assert page.locator("#canvas .sc-obj.sc-on").get_attribute("data-id") == nxt
        before = v.shown()
        page.keyboard.press("Shift+Tab")
        v.wait_update(before)
        assert row.get_attribute("data-id") == str(a)
        # Hide it: not drawn (what lies beneath shows); the file does not change.
        shown = page.evaluate(MASK_RGBA, [x, y])
        before = v.shown()
        row.locator(".sc-eye").click()
        v.wait_update(before)
        assert "sc-hidden" in page.locator(f"#canvas .sc-obj[data-id='{a}']").get_attribute("class")
        assert page.evaluate(MASK_RGBA, [x, y]) != shown
        page.screenshot(path=str(shots / "3-hidden.png"))
        assert anns(path) == original
        # Change its class (it keeps its id): only its category_id changes on disk.
        dog = ds.label_set.names.index("dog")
        before = v.shown()
        page.locator("#canvas .sc-objclass").select_option(str(dog))
        v.wait_update(before)
        got = on_disk(path, lambda d: d[a]["category_id"] == ds._label_to_cat[dog])
        assert {k: w for k, w in got.items() if k != a} == {k: w for k, w in original.items() if k != a}
        assert {k: w for k, w in got[a].items() if k != "category_id"} == \
            {k: w for k, w in original[a].items() if k != "category_id"}
        page.screenshot(path=str(shots / "4-class.png"))
        # Delete it: its annotation goes, every other stays.
        before = v.shown()
        page.locator("#canvas .sc-objbar .sc-del").click()
        v.wait_update(before)
        got = on_disk(path, lambda d: a not in d)
        assert got == {k: w for k, w in original.items() if k != a}
        assert page.locator(f"#canvas .sc-obj[data-id='{a}']").count() == 0
        page.screenshot(path=str(shots / "5-deleted.png"))
        # A new object beside a teddy bear: M, the class, the brush, a stroke, Enter.
        objects = open_dataset(path).read_objects(i)
        b = max((o for o in objects if o.cls == teddy), key=lambda o: o.area).id
        before = v.shown()
        page.keyboard.press("m")
        v.wait_update(before)
        page.keyboard.press("/")
        page.keyboard.type("teddy")
        page.keyboard.press("Enter")
        page.keyboard.press("b")
        assert "a new teddy bear object" in page.locator("#canvas .sc-hint").inner_text()
        (sx, sy), _ = beside(objects, b)
        v.stroke([(sx, sy), (sx + 1, sy)])
        v.key("Enter")
        new_id = 1 + max(original)                    # after the largest id in the file
        got = on_disk(path, lambda d: new_id in d)
        assert got[new_id]["category_id"] == ds._label_to_cat[teddy] and got[new_id]["image_id"] == original[b]["image_id"]
        assert {k: w for k, w in got.items() if k != new_id} == {k: w for k, w in original.items() if k != a}
        assert page.locator("#canvas .sc-obj.sc-on").get_attribute("data-id") == str(new_id)
        page.screenshot(path=str(shots / "6-new.png"))
    except Exception:
        page.screenshot(path=str(shots / "failure.png"))
        raise
    finally:
        page.close()
        print(f"screenshots in {shots}")
