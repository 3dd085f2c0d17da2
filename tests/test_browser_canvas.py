"""Real-browser runs of the canvas's view and tools at 1366x768: zoom at a point, pan, a
1-pixel brush stroke at a boundary found on disk at the right pixels, and more.

Chromium is the session's one (conftest ``browser``), helpers come from test_browser;
screenshots are kept in a temporary folder (printed).
"""

import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import scene_dataset, serve_app
from segcore.dataset import open_dataset

from test_browser import Canvas, status

ROOT = "#canvas .sc-ws"


class View(Canvas):
    """The canvas's view as the page reports it (data-zoom, data-offset-x/y on the root):
    image pixels to screen points at any zoom (waiting for updates as test_browser's Canvas)."""

    def attr(self, name) -> float:
        return float(self.root.get_attribute(f"data-{name}"))

    @property
    def zoom(self) -> float:
        return self.attr("zoom")

    def offset(self) -> tuple[float, float]:
        return self.attr("offset-x"), self.attr("offset-y")

    def stage(self) -> dict:
        return self.page.locator("#canvas .sc-stage").bounding_box()

    def at(self, x, y):
        """The screen point at image pixel (x, y)'s centre."""
        box, z, (ox, oy) = self.stage(), self.zoom, self.offset()
        return box["x"] + ox + (x + 0.5) * z, box["y"] + oy + (y + 0.5) * z

    def pixel(self, sx, sy):
        """The image pixel under screen point (sx, sy)."""
        box, z, (ox, oy) = self.stage(), self.zoom, self.offset()
        return int((sx - box["x"] - ox) // z), int((sy - box["y"] - oy) // z)

    def visible(self, x, y) -> bool:
        box = self.stage()
        sx, sy = self.at(x, y)
        return box["x"] <= sx < box["x"] + box["width"] and box["y"] <= sy < box["y"] + box["height"]


@pytest.fixture(scope="module")
def shots():
    folder = Path(tempfile.mkdtemp(prefix="segcore-canvas-"))
    yield folder
    print(f"screenshots in {folder}")


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url)
    page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
    page.locator("#canvas .sc-stage").wait_for()
    return page


def current_name(page) -> str:
    return status(page).split(" ")[0].strip("*")


def test_zoom_pan_and_a_one_pixel_stroke(dataset_app, browser, shots):
    url, folder = dataset_app
    page = open_page(browser, url)
    try:
        v = View(page)
        fit = v.zoom
        # The wheel zooms at the cursor: the square's corner pixel (80, 60) stays under it.
        page.mouse.move(*v.at(80, 60))
        while (z := v.zoom) < 4:
            page.mouse.wheel(0, -100)
            page.wait_for_function("z => +document.querySelector('#canvas .sc-ws').dataset.zoom > z", arg=z)
        assert v.zoom == pytest.approx(fit * 1.25 ** round(math.log(v.zoom / fit, 1.25)))
        mx, my = v.at(80, 60)
        assert v.pixel(mx, my) == (80, 60) and v.visible(80, 60)
        # Pan: Space + drag, then a middle drag; the offsets follow the mouse exactly.
        ox, oy = v.offset()
        page.mouse.move(mx, my)
        page.keyboard.down(" ")
        page.mouse.down()
        page.mouse.move(mx - 40, my - 30, steps=4)
        page.mouse.up()
        page.keyboard.up(" ")
        assert v.offset() == (ox - 40, oy - 30)
        page.mouse.move(mx, my)
        page.mouse.down(button="middle")
        page.mouse.move(mx + 40, my + 30, steps=4)
        page.mouse.up(button="middle")
        assert v.offset() == (ox, oy)
        assert v.pixel(mx, my) == (80, 60)
        # A 1-pixel-wide stroke (brush radius 0) down column 79, just left of the square.
        page.keyboard.press("2")
        page.keyboard.press("b")
        for _ in range(12):
            page.keyboard.press("[")
        assert page.locator("#canvas .sc-size").input_value() == "0"
        assert v.visible(79, 62) and v.visible(79, 80)
        page.mouse.move(*v.at(79, 62))
        page.mouse.down()
        page.mouse.move(*v.at(79, 80), steps=12)
        page.mouse.up()
        page.screenshot(path=str(shots / "zoom-400-stroke.png"))
        name = current_name(page)
        v.key("Enter")
        assert v.zoom >= 4, "an edit keeps the view"
        v.key("d")
        assert v.zoom == pytest.approx(fit), "the next photo opens fitted"
        ds = open_dataset(folder)
        labels = ds.read_labels(ds.index_of(name))
        person = labels == 2
        assert person[62:81, 79].all() and person.sum() == 19
        # F fits, Shift+1 shows 1:1.
        page.mouse.move(*v.at(160, 120))
        page.keyboard.press("Shift+Digit1")
        assert v.zoom == 1
        page.keyboard.press("f")
        assert v.zoom == pytest.approx(fit) and v.offset() == (0, 0)
    except Exception:
        page.screenshot(path=str(shots / "failure-zoom.png"))
        raise
    finally:
        page.close()


def test_polygon_closed_by_a_click_and_by_enter(dataset_app, browser, shots):
    url, folder = dataset_app
    page = open_page(browser, url)
    try:
        v = View(page)
        page.keyboard.press("1")
        page.keyboard.press("p")
        name = current_name(page)
        # A rectangle closed by a click on its first corner.
        for x, y in [(20, 20), (60, 20), (60, 50), (20, 50)]:
            page.mouse.click(*v.at(x, y))
        page.screenshot(path=str(shots / "polygon-open.png"))
        before = v.shown()
        page.mouse.click(*v.at(20, 20))
        v.wait_update(before)
        # A triangle (person) closed by Enter; a stray corner dropped by Backspace first, and
        # a polygon given up with Esc changes nothing.
        page.keyboard.press("2")
        for x, y in [(200, 200), (300, 200), (250, 230), (10, 230)]:
            page.mouse.click(*v.at(x, y))
        page.keyboard.press("Backspace")
        v.key("Enter")
        for x, y in [(100, 100), (150, 100), (150, 150)]:
            page.mouse.click(*v.at(x, y))
        page.keyboard.press("Escape")
        page.screenshot(path=str(shots / "polygons.png"))
        v.key("d")
        ds = open_dataset(folder)
        labels = ds.read_labels(ds.index_of(name))
        car = labels == 1
        assert car[20:51, 20:61].all() and car.sum() == 31 * 41
        person = labels == 2
        assert person[200, 200:301].all() and person[230, 250] and not person[230, 249] and not person[231, 250]
        assert not person[100:151, 100:151].any()
    except Exception:
        page.screenshot(path=str(shots / "failure-polygon.png"))
        raise
    finally:
        page.close()


def test_polygon_api(dataset_app):
    from gradio_client import Client

    url, folder = dataset_app
    c = Client(url, verbose=False)
    _, _, st = c.predict("scene3", api_name="/open_item")
    canvas, _, _ = c.predict(points=[[5, 5], [40, 5], [40, 30]], class_name="person", overwrite="", api_name="/polygon")
    assert canvas["classes"][2][2]                # person now has a share
    c.predict(points=[[0, 0], [319, 0], [319, 239], [0, 239]], class_name="car", overwrite="unlabelled",
              api_name="/polygon")
    c.predict(api_name="/prev_item")                   # moving saves (scene3 is the last item)
    ds = open_dataset(folder)
    labels = ds.read_labels(ds.index_of("scene3"))
    assert labels[5, 5:41].tolist() == [2] * 36 and labels[30, 40] == 2     # kept by "unlabelled"
    assert (labels == 1).sum() == labels.size - (labels == 2).sum()


#: A pixel of the mask as drawn (its canvas is the mask's size; read once data-shown says drawn).
MASK_PIXEL = "([x, y]) => [...document.querySelector('#canvas .sc-mask').getContext('2d').getImageData(x, y, 1, 1).data]"
MASK_ALPHA = MASK_PIXEL.replace(".data]", ".data][3]")
MASK_RGB = MASK_PIXEL.replace(".data]", ".data].slice(0, 3)")


@pytest.mark.slow
def test_hide_a_class_outlines_only_and_a_colour(dataset_app, browser, shots):
    url, folder = dataset_app
    page = open_page(browser, url)
    try:
        v = View(page)
        page.keyboard.press("1")
        page.keyboard.press("w")
        before = v.shown()
        page.mouse.click(*v.at(160, 120))
        v.wait_update(before)
        assert page.evaluate(MASK_ALPHA, [160, 120]) == 255
        car = page.locator("#canvas .sc-classes .sc-class").nth(1)
        before = v.shown()
        car.locator(".sc-eye").click()
        v.wait_update(before)
        assert page.evaluate(MASK_ALPHA, [160, 120]) == 0
        assert "sc-hidden" in car.get_attribute("class") and "sc-on" in car.get_attribute("class")
        page.screenshot(path=str(shots / "hidden.png"))
        before = v.shown()
        car.locator(".sc-eye").click()
        v.wait_update(before)
        v.key("o")                                      # outlines only: the edge, not the inside
        assert page.evaluate(MASK_ALPHA, [160, 120]) == 0 and page.evaluate(MASK_ALPHA, [80, 120]) == 255
        assert page.locator("#canvas .sc-outline").is_checked()
        page.screenshot(path=str(shots / "outline.png"))
        v.key("o")
        assert page.evaluate(MASK_ALPHA, [160, 120]) == 255
        # A new colour for car (its swatch is a colour input): drawn, listed, kept on disk.
        before = v.shown()
        car.locator("input.sc-sw").evaluate("el => { el.value = '#ff8800'; el.dispatchEvent(new Event('change')); }")
        v.wait_update(before)
        assert page.evaluate(MASK_RGB, [160, 120]) == [255, 136, 0]
        assert open_dataset(folder).label_set.colors[1] == (255, 136, 0)
    except Exception:
        page.screenshot(path=str(shots / "failure-hide.png"))
        raise
    finally:
        page.close()


COCO_NAMES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign "
    "parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella "
    "handbag tie suitcase frisbee skis snowboard sports_ball kite baseball_bat baseball_glove "
    "skateboard surfboard tennis_racket bottle wine_glass cup fork knife spoon bowl banana apple "
    "sandwich orange broccoli carrot hot_dog pizza donut cake chair couch potted_plant bed "
    "dining_table toilet tv laptop mouse remote keyboard cell_phone microwave oven toaster sink "
    "refrigerator book clock vase scissors teddy_bear hair_drier toothbrush").split()


@pytest.fixture(scope="module")
def many_classes_app(tmp_path_factory):
    """The app on a dataset with COCO's 80 classes (after background)."""
    folder = scene_dataset(tmp_path_factory.mktemp("many") / "scenes", n=2)
    (folder / "labels.txt").write_text("\n".join(["background", *COCO_NAMES]) + "\n")
    shutil.copy(folder / "scene1.png", folder / "**bold**.png")     # a name with Markdown in it
    with serve_app(folder) as url:
        yield url, folder


@pytest.mark.slow
def test_eighty_classes_filtered_by_typing(many_classes_app, browser, shots):
    url, folder = many_classes_app
    page = open_page(browser, url)
    try:
        v = View(page)
        rows = page.locator("#canvas .sc-classes .sc-class")
        assert rows.count() == 81
        # The list scrolls inside the canvas's height: nothing pushed off the screen.
        stage, side = v.stage(), page.locator("#canvas .sc-classes").bounding_box()
        assert side["y"] + side["height"] <= stage["y"] + stage["height"] + 1
        assert page.locator("#reviewed-btn").bounding_box()["y"] + 20 < 768
        page.screenshot(path=str(shots / "eighty-classes.png"))
        # / goes to the filter; typing leaves one class, selected at once; Enter goes back to the canvas.
        page.keyboard.press("/")
        page.keyboard.type("toothb")
        assert rows.count() == 1 and rows.first.inner_text().startswith("toothbrush")
        assert "sc-on" in rows.first.get_attribute("class")
        page.screenshot(path=str(shots / "filtered.png"))
        page.keyboard.press("Enter")
        page.keyboard.press("w")                        # a key acts again: the filter has no focus
        before = v.shown()
        page.mouse.click(*v.at(160, 120))
        v.wait_update(before)
        assert "toothbrush" in page.locator("#canvas .sc-classes").inner_text()
        assert page.evaluate("() => document.querySelector('#canvas .sc-classes .sc-on .sc-n').textContent") == "25.0%"
        # Esc clears the filter; Enter takes the first of several.
        page.keyboard.press("/")
        page.keyboard.press("Escape")
        assert rows.count() == 81
        page.keyboard.press("/")
        page.keyboard.type("ca")
        assert rows.count() > 2 and rows.first.locator(".sc-name").inner_text() == "car"
        page.keyboard.press("Enter")
        assert page.locator("#canvas .sc-classes .sc-on .sc-name").inner_text() == "car"
    except Exception:
        page.screenshot(path=str(shots / "failure-many.png"))
        raise
    finally:
        page.close()


@pytest.mark.slow
def test_messages_cover_no_tool_and_names_show_as_they_are(many_classes_app, browser, shots):
    url, folder = many_classes_app
    page = open_page(browser, url)
    try:
        v = View(page)
        assert status(page).startswith("**bold**")          # not rendered bold
        # A mistake: two box corners on one pixel. The warning covers no tool.
        page.keyboard.press("x")
        for _ in range(2):
            page.mouse.click(*v.at(30, 30))
        toast = page.locator(".toast-wrap .toast-body").first
        toast.wait_for(timeout=15_000)
        page.screenshot(path=str(shots / "message.png"))
        t = toast.bounding_box()
        for sel in ["#canvas .sc-stage", "#canvas .sc-side", "#canvas .sc-bar", "#actions", "#status", "#files"]:
            b = page.locator(sel).bounding_box()
            overlap = not (t["x"] + t["width"] <= b["x"] or b["x"] + b["width"] <= t["x"] or
                           t["y"] + t["height"] <= b["y"] or b["y"] + b["height"] <= t["y"])
            assert not overlap, f"the message covers {sel}"
        assert t["y"] + t["height"] <= 768 and t["x"] >= 0
        # The next item closes it.
        page.wait_for_timeout(1200)
        v.key("d")
        page.wait_for_function("() => !document.querySelector('.toast-wrap .toast-body')", timeout=3000)
    except Exception:
        page.screenshot(path=str(shots / "failure-messages.png"))
        raise
    finally:
        page.close()


@pytest.mark.slow
def test_choices_survive_a_reload_and_a_stops_at_the_first_item(dataset_app, browser, shots):
    url, folder = dataset_app
    page = open_page(browser, url)
    try:
        v = View(page)
        page.locator("#canvas .sc-opacity").evaluate("el => { el.value = '0.3'; el.dispatchEvent(new Event('input')); }")
        page.keyboard.press("b")
        for _ in range(3):
            page.keyboard.press("]")
        size = page.locator("#canvas .sc-size").input_value()
        page.locator("#canvas .sc-overwrite").select_option("unlabelled")
        kept = page.evaluate("() => localStorage.getItem('segcore-model')")
        page.locator("#model input").click()
        page.locator("li.item").filter(has_text=re.compile(r"^\W*unet$")).click()
        # the choice is in the browser's storage (the app's BrowserState) before the reload
        page.wait_for_function("k => localStorage.getItem('segcore-model') !== k", arg=kept, timeout=15_000)
        page.reload()
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        page.wait_for_function("() => document.querySelector('#model input').value === 'unet'", timeout=10_000)
        assert page.locator("#canvas .sc-opacity").input_value() == "0.3"
        assert page.evaluate("() => getComputedStyle(document.querySelector('#canvas .sc-mask')).opacity") == "0.3"
        assert page.locator("#canvas .sc-size").input_value() == size
        assert page.locator("#canvas .sc-overwrite").input_value() == "unlabelled"
        v.key("o")                         # two answers of the server: it holds the remembered rule
        v.key("o")
        assert page.locator("#canvas .sc-overwrite").input_value() == "unlabelled"
        # A on the first item: a message, the same item.
        first = page.locator("#files .sc-file").first
        name = first.inner_text().split(" ", 1)[1].strip()
        first.click()
        page.wait_for_function("n => document.querySelector('#status').innerText.trim().startsWith(n + ' ')", arg=name)
        page.keyboard.press("a")
        page.get_by_text("this is the first item", exact=False).first.wait_for(timeout=10_000)
        page.wait_for_function("n => document.querySelector('#status').innerText.trim().startsWith(n + ' ')", arg=name)
        assert "item 1 of" in status(page)
        page.screenshot(path=str(shots / "first-item.png"))
    except Exception:
        page.screenshot(path=str(shots / "failure-reload.png"))
        raise
    finally:
        page.close()


@pytest.mark.parametrize("args, api, words", [
    ((9999,), "/open_item", "there are 4 items"),
    ((5000, 5, "add", "car"), "/click_point", "off the"),
    ((10, 10, "add", "lorry"), "/click_point", "no class named 'lorry'"),
    ((10, 10, 10, 10, "car"), "/box", "box"),
    (([[1, 1], [2, 2]], "car"), "/polygon", "three different points"),
    ((10, 10, "sideways", "car"), "/click_point", "mode is add or remove"),
])
def test_api_mistakes_raise_with_the_message(dataset_app, args, api, words):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    c = Client(dataset_app[0], verbose=False)
    with pytest.raises(AppError, match=re.compile(re.escape(words), re.I)):
        c.predict(*args, api_name=api)
    canvas, _, status = c.predict(api_name="/undo")    # the session goes on
    assert canvas["w"] == 320 and "item" in status
