"""Keys pressed while the server answers an earlier one are queued, not dropped: ten quick
presses of D move ten items on, presses 150 ms apart each move one; a class chosen and a stroke
painted while a request is out stay on the page. Chromium, as in test_browser."""

import functools
import re
import time

import pytest

from conftest import scene_dataset, serve_app
from segcore.dataset import open_dataset
from test_browser import Canvas, status

N_ITEMS = 16
READY = "() => document.querySelector('#canvas .sc-ws')?.dataset.shown"


@pytest.fixture(scope="module")
def walk_app(tmp_path_factory):
    """``(url, folder)``: the app on 16 scenes."""
    folder = scene_dataset(tmp_path_factory.mktemp("walk") / "scenes", n=N_ITEMS)
    with serve_app(folder) as url:
        yield url, folder


def item_number(page) -> int:
    return int(re.search(r"item (\d+) of", status(page)).group(1))


def settle(page, want: int, timeout=60_000) -> int:
    """Wait until the status line says item ``want`` and nothing more arrives; the item then."""
    try:
        page.wait_for_function(
            "n => document.querySelector('#status').innerText.includes(`item ${n} of`)", arg=want, timeout=timeout)
    except Exception:   # noqa: BLE001 - the assertion of the caller says where it stopped
        pass
    page.wait_for_timeout(1500)                 # a late answer would move it further
    return item_number(page)


@pytest.mark.parametrize("presses, gap_ms", [(10, 0), pytest.param(6, 150, marks=pytest.mark.slow)])
def test_keys_pressed_while_a_request_runs_are_queued(walk_app, browser, presses, gap_ms):
    url, _ = walk_app
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url)
        page.wait_for_function(READY, timeout=60_000)
        start = item_number(page)
        for _ in range(presses):                 # each press arrives while an earlier one is answered
            page.keyboard.press("d")
            if gap_ms:
                page.wait_for_timeout(gap_ms)
        assert settle(page, start + presses) == start + presses
        for _ in range(3):                       # A comes back as many, in order
            page.keyboard.press("a")
        assert settle(page, start + presses - 3) == start + presses - 3
    finally:
        page.close()


@pytest.mark.slow
def test_a_class_and_a_stroke_chosen_while_a_request_runs_stay(walk_app, browser, monkeypatch):
    """A wand click answered slowly; meanwhile class 2 is picked and a stroke painted: the
    answer keeps both, and Enter applies the stroke with its class."""
    from demo import tools

    url, folder = walk_app
    slow = tools.wand

    @functools.wraps(slow)
    def wand(*args, **kwargs):
        time.sleep(2.0)
        return slow(*args, **kwargs)

    monkeypatch.setattr(tools, "wand", wand)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url)
        page.wait_for_function(READY, timeout=60_000)
        cv = Canvas(page)
        name = status(page).split(" ")[0].strip("*")
        page.keyboard.press("1")
        page.keyboard.press("w")
        before = cv.shown()
        page.mouse.click(*cv.at(160, 120))       # the wand, answered in 2 s
        page.keyboard.press("2")
        page.keyboard.press("b")
        cv.stroke([(20, 20), (60, 20)])
        cv.wait_update(before)                   # the wand's answer
        assert "undo available" in status(page)
        assert page.locator("#canvas .sc-classes .sc-on .sc-name").inner_text() == "person"
        assert "1 stroke not applied" in page.locator("#canvas .sc-hint").inner_text()
        cv.key("Enter")
        assert "not applied" not in page.locator("#canvas .sc-hint").inner_text()
        cv.key("d")
        ds = open_dataset(folder)
        labels = ds.read_labels(ds.index_of(name))
        assert (labels[60:180, 80:240] == 1).mean() > 0.98
        assert (labels[20, 20:61] == 2).all()
    finally:
        page.close()
