"""Two people in Chromium on one served camvid-20 item, with accounts: login, the same pixels
painted differently (the second gets the conflict bar and keeps theirs, exactly), who has the
item open, an annotator refused "reviewed", and the History tab restoring the version from two
saves ago, pixel-exact, saying who made it. Screenshots are kept in a temporary folder (printed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from segcore.accounts import Users
from segcore.dataset import open_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camvid import camvid_voc, truth_of  # noqa: E402
from conftest import free_port  # noqa: E402
from test_browser import Canvas  # noqa: E402

pytestmark = pytest.mark.slow
PASSWORDS = {"rita": "rita-password", "anna": "anna-password"}


@pytest.fixture(scope="module")
def team_browser_app(shared_data, tmp_path_factory):
    """``(url, VOC root)``: camvid-20 (items 0-2 labelled) served with accounts rita (reviewer)
    and anna (annotator)."""
    from demo.app import build_demo

    base = tmp_path_factory.mktemp("teambrowser")
    root = camvid_voc(shared_data / "camvid-20", base / "camvid")
    ds = open_dataset(root)
    for i in range(3):
        ds.write_labels(i, truth_of(root, ds.names[i]), tool="ground truth")
    users = Users(base / "users.json")
    users.add("rita", "reviewer", PASSWORDS["rita"])
    users.add("anna", "annotator", PASSWORDS["anna"])
    demo = build_demo(root, users=users).queue(default_concurrency_limit=4)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, css=demo.css)
    yield f"http://127.0.0.1:{port}/", root
    demo.close()


def login(browser, url, name, shots: Path):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector("input[type=password]", timeout=60_000)
    if name == "rita":
        page.screenshot(path=str(shots / "0-login.png"))
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", PASSWORDS[name])
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
    return page


def open_row(page, i: int):
    cv = Canvas(page)
    before = cv.shown()
    page.locator(f"#files .sc-file[data-i='{i}']").click()
    cv.wait_update(before)
    return cv


def brush(page, cv: Canvas, cls: int, points, w=480, apply=True):
    """Class ``cls``, the brush, one stroke through ``points`` (image pixels), applied (Enter)."""
    page.keyboard.press(str(cls))
    page.keyboard.press("b")
    page.mouse.move(*cv.at(*points[0], w=w))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*cv.at(*p, w=w), steps=8)
    page.mouse.up()
    if apply:
        cv.key("Enter")


def wait_disk(root, i, check, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        labels = open_dataset(root).read_labels(i)
        if check(labels):
            return labels
        time.sleep(0.2)
    raise AssertionError("the edit did not reach the disk")


def test_two_people_conflict_presence_roles_history(team_browser_app, browser):
    url, root = team_browser_app
    shots = Path(tempfile.mkdtemp(prefix="segcore-team-"))
    print(f"\nscreenshots: {shots}")
    item = 1
    name = open_dataset(root).names[item]   # rita and anna both open it
    pages = []
    try:
        rita = login(browser, url, "rita", shots)
        pages.append(rita)
        anna = login(browser, url, "anna", shots)
        pages.append(anna)
        assert "you: rita (reviewer)" in rita.locator("#status").inner_text()
        cv_r, cv_a = open_row(rita, item), open_row(anna, item)
        anna.wait_for_selector(f"text=rita has {name} open too", timeout=10_000)   # opening one says so
        # rita sees that anna has the item open (the page looks every few seconds)
        rita.wait_for_function("n => [...document.querySelectorAll('#files .sc-file[data-here]')].some("
                               "e => e.dataset.here === n)", arg="anna", timeout=20_000)
        assert rita.locator(f"#files .sc-file[data-i='{item}']").inner_text().strip().endswith(name)
        # anna paints a band car (8), rita the same band sign (6) and applies it first; then
        # anna applies hers, painted on what she saw before
        stroke = [[60, 300], [300, 300]]
        brush(anna, cv_a, 8, stroke, apply=False)
        brush(rita, cv_r, 6, stroke)
        theirs = wait_disk(root, item, lambda lab: (lab[296:305, 70:290] == 6).all())
        cv_a.key("Enter")
        anna.wait_for_selector("#conflict-bar", state="visible", timeout=20_000)
        text = anna.locator("#conflict-text").inner_text()
        assert name in text and "rita" in text and "Keep mine" in text
        anna.screenshot(path=str(shots / "1-conflict.png"))
        ds = open_dataset(root)
        np.testing.assert_array_equal(ds.read_labels(item), theirs)          # nothing overwritten
        mine = ds.read_version(item, ds.item_versions(item)[-1].number)       # anna's, kept
        assert ds.item_versions(item)[-1].kind == "conflict" and (mine[296:305, 70:290] == 8).all()
        before = cv_a.shown()
        anna.locator("#take-theirs-btn").click()
        cv_a.wait_update(before)
        anna.wait_for_selector("#conflict-bar", state="hidden", timeout=20_000)
        np.testing.assert_array_equal(open_dataset(root).read_labels(item), theirs)
        anna.screenshot(path=str(shots / "2-took-theirs.png"))
        # an annotator cannot mark reviewed
        before_status = open_dataset(root).status(item)
        anna.keyboard.press("r")
        anna.wait_for_selector("text=Only a reviewer", timeout=20_000)
        assert open_dataset(root).status(item) == before_status
        # different regions, each on what it saw: both land (anna's first), and rita's page shows anna's
        brush(anna, cv_a, 8, [[60, 250], [300, 250]], apply=False)
        brush(rita, cv_r, 9, [[60, 200], [300, 200]], apply=False)
        cv_a.key("Enter")
        cv_r.key("Enter")
        wait_disk(root, item, lambda lab: (lab[196:205, 70:290] == 9).all() and (lab[246:255, 70:290] == 8).all())
        deadline = time.time() + 20      # the one that saved first hears of the other's band
        while not any(p.locator("text=pixels came in").count() for p in (rita, anna)):
            assert time.time() < deadline, "neither page was told of the other's edit"
            time.sleep(0.3)
        # rita saves once more, then restores the version from two saves ago
        brush(rita, cv_r, 7, [[60, 100], [300, 100]])
        wait_disk(root, item, lambda lab: (lab[96:105, 70:290] == 7).all())
        versions = [v for v in open_dataset(root).item_versions(item) if v.kind == "saved"]
        two_ago = versions[-3]
        want = open_dataset(root).read_version(item, two_ago.number)
        rita.get_by_role("tab", name="History").click()
        rita.wait_for_function("n => document.querySelector('#history-table')?.innerText.includes(n)",
                               arg=two_ago.when, timeout=20_000)
        rows = rita.locator("#history-table").inner_text()
        assert "rita" in rows and "brush" in rows
        rita.locator("#history-version input").fill(str(two_ago.number))
        before = cv_r.shown()
        rita.locator("#restore-btn").click()
        cv_r.wait_update(before)
        rita.wait_for_selector(f"text=Restored version {two_ago.number}", timeout=20_000)
        assert f"({two_ago.who}," in rita.locator(f"text=Restored version {two_ago.number}").first.inner_text()
        got = wait_disk(root, item, lambda lab: np.array_equal(lab, want))
        np.testing.assert_array_equal(got, want)
        rita.screenshot(path=str(shots / "3-history-restored.png"), full_page=True)
    finally:
        for page in pages:
            page.context.close()


def test_a_reloaded_page_is_not_another_session(team_browser_app, browser):
    """Reloading the page that has an item open: the page before the reload has left (Gradio's
    unload), so opening the item again says nobody else has it open."""
    url, root = team_browser_app
    item = 3
    name = open_dataset(root).names[item]
    page = login(browser, url, "anna", Path(tempfile.mkdtemp(prefix="segcore-reload-")))
    try:
        open_row(page, item)
        page.reload()
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        page.wait_for_timeout(1500)
        open_row(page, item)
        page.wait_for_timeout(2500)
        assert page.locator(f"text={name} open too").count() == 0
        assert page.locator(f"#files .sc-file[data-i='{item}'][data-here]").count() == 0
    finally:
        page.context.close()
