"""Real-browser runs of the workspace, as a user would: keys, clicks and strokes on the canvas,
moving on, a mistake, a reload; then the dataset's files on disk are checked.

Chromium is the session's one (conftest ``browser``: Debian's ``chromium``, installed by
.ci/run, driven by Playwright from PyPI). Screenshots are kept in a temporary folder (printed).
"""

import tempfile
from pathlib import Path

import pytest

from conftest import ARGS, CHROMIUM  # noqa: F401 (the benchmarks import them from here)
from segcore.dataset import open_dataset


class Canvas:
    """The workspace canvas of a page: image pixels to screen points, and waiting for updates."""

    def __init__(self, page):
        self.page = page
        self.root = page.locator("#canvas .sc-ws")

    def shown(self) -> str:
        return self.root.get_attribute("data-shown") or ""

    def wait_update(self, before: str, timeout=30_000):
        self.page.wait_for_function(
            "b => { const r = document.querySelector('#canvas .sc-ws'); return r && r.dataset.shown && r.dataset.shown !== b; }",
            arg=before, timeout=timeout)

    def at(self, x, y, w=320):
        box = self.page.locator("#canvas .sc-stage").bounding_box()
        s = box["width"] / w
        return box["x"] + (x + 0.5) * s, box["y"] + (y + 0.5) * s

    def click(self, x, y):
        before = self.shown()
        self.page.mouse.click(*self.at(x, y))
        self.wait_update(before)

    def stroke(self, points):
        self.page.mouse.move(*self.at(*points[0]))
        self.page.mouse.down()
        for p in points[1:]:
            self.page.mouse.move(*self.at(*p))
        self.page.mouse.up()

    def key(self, key):
        before = self.shown()
        self.page.keyboard.press(key)
        self.wait_update(before)


def status(page) -> str:
    return page.locator("#status").inner_text()


def test_walk_correct_reload(dataset_app, browser):
    url, folder = dataset_app
    shots = Path(tempfile.mkdtemp(prefix="segcore-browser-"))
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url)
        cv = Canvas(page)
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        page.locator("#canvas .sc-stage").wait_for()
        page.locator("#add-images").wait_for(state="hidden")
        first = status(page).split(" ")[0]
        ds_name = first.strip("*")
        # Class "car" (key 1), wand (W), click the uniform square.
        page.keyboard.press("1")
        page.keyboard.press("w")
        cv.click(160, 120)
        assert "undo available" in status(page)
        page.get_by_text("The wand took 19,200 pixels").first.wait_for(timeout=10_000)
        page.screenshot(path=str(shots / "wand.png"))
        # Person (2), brush (B): a stroke along the top, applied with Enter.
        page.keyboard.press("2")
        page.keyboard.press("b")
        cv.stroke([(20, 20), (60, 20), (100, 20)])
        assert "not applied yet" in page.locator("#canvas .sc-hint").inner_text()
        cv.key("Enter")
        assert "not applied" not in page.locator("#canvas .sc-hint").inner_text()
        # A stroke left pending is applied by moving on (D), never lost.
        cv.stroke([(20, 220), (100, 220)])
        cv.key("d")
        assert ds_name not in status(page)
        ds = open_dataset(folder)
        i = ds.index_of(ds_name)
        labels = ds.read_labels(i)
        assert (labels[60:180, 80:240] == 1).mean() > 0.98
        assert (labels[20, 20:101] == 2).all() and (labels[220, 20:101] == 2).all()
        # A mistake: a box whose corners coincide. A message, no Error badge, views intact.
        page.keyboard.press("x")
        page.mouse.click(*cv.at(30, 30))          # the first corner is marked on the page
        page.mouse.click(*cv.at(30, 30))
        page.get_by_text("at least 2 pixels wide").first.wait_for(timeout=15_000)
        page.screenshot(path=str(shots / "mistake.png"))
        assert page.locator(".error").count() == 0
        assert page.locator("#canvas .sc-photo").get_attribute("src")
        # Add clicks on the next item, mark it reviewed, then reload the page.
        page.keyboard.press("1")
        page.keyboard.press("q")
        cv.click(150, 100)
        assert page.locator("#canvas .sc-hint").inner_text().startswith("Add")
        name2 = status(page).split(" ")[0].strip("*")
        cv.key("r")
        assert "reviewed" in status(page)
        page.reload()
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        # The session starts again at the first item not reviewed; the work is on disk.
        ds = open_dataset(folder)
        assert ds.status(ds.index_of(name2)) == "reviewed"
        assert (ds.read_labels(ds.index_of(name2))[60:180, 80:240] == 1).mean() > 0.9
        assert status(page).split(" ")[0].strip("*") != name2
        assert "1 of 4 reviewed" in page.locator("#files").inner_text()
        page.screenshot(path=str(shots / "reloaded.png"))
    except Exception:
        page.screenshot(path=str(shots / "failure.png"), full_page=True)
        print(f"screenshots in {shots}")
        raise
    finally:
        page.close()
    print(f"screenshots in {shots}")


def test_fast_clicks_are_queued_not_lost(dataset_app, browser):
    """Five Add clicks 300 ms apart, then five 30 ms apart (faster than they are answered):
    every click gives its marker and its own step of undo."""
    url, folder = dataset_app
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url)
        cv = Canvas(page)
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        page.keyboard.press("2")
        page.keyboard.press("q")
        for k in range(5):
            page.mouse.click(*cv.at(100 + 12 * k, 90 + 8 * k))
            page.wait_for_timeout(300)
        assert "on the way" in page.locator("#canvas .sc-hint").inner_text() or \
            cv.root.get_attribute("data-markers") == "5"
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws').dataset.markers === '5'",
                               timeout=60_000)
        for k in range(5):                  # faster than any answer: they queue up
            page.mouse.click(*cv.at(110 + 10 * k, 150 - 6 * k))
            page.wait_for_timeout(30)
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws').dataset.markers === '10'",
                               timeout=60_000)
        page.wait_for_function("() => !document.querySelector('#canvas .sc-hint').innerText.includes('on the way')",
                               timeout=60_000)
        for left in range(9, -1, -1):
            cv.key("Control+z")
            assert cv.root.get_attribute("data-markers") == str(left)
    finally:
        page.close()


@pytest.mark.slow
def test_the_prompter_menu_survives_a_reload(dataset_app, browser):
    """After a reload the menu shows the choice again and the new page's session uses it: it says
    so, as it did when the choice was made."""
    url, folder = dataset_app
    ready = "() => document.querySelector('#canvas .sc-ws')?.dataset.shown"
    told = "Clicks and boxes with GrabCut."
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url)
        page.wait_for_function(ready, timeout=60_000)
        menu = page.locator("#prompter input")
        assert menu.input_value().startswith("auto")          # the default, before any choice
        kept = page.evaluate("() => localStorage.getItem('segcore-prompter')")
        menu.click()
        page.get_by_role("option", name="GrabCut · no weights needed").click()
        page.get_by_text(told).first.wait_for(timeout=15_000)
        page.wait_for_function("k => localStorage.getItem('segcore-prompter') !== k", arg=kept, timeout=15_000)
        page.reload()
        page.wait_for_function(ready, timeout=60_000)
        page.get_by_text(told).first.wait_for(timeout=15_000)   # the session of the new page was given it
        assert menu.input_value() == "GrabCut · no weights needed"
    finally:
        page.close()
