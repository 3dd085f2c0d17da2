"""A vertex drag in Chromium at 1 MP: from mouse-up to the frame that shows the polygon object's
new mask.

Run: python -m pytest -s tests/bench/bench_polygon.py
(goal: median under 0.15 s at 1 MP)

The COCO file of bench_objects (one 1152x864 photo, 300 overlapping polygon annotations). At
1:1 with the Select tool, the object with the deepest visible pixel is selected, then one of its
vertices is dragged 4 pixels and back, 12 times; each drag is one request at mouse-up
(``move_vertex``: the polygon rasterised by pycocotools, one undoable step, the class map
redrawn in the changed box; sent back, the changed box of the mask and of the object boundaries
and the object's row and outline). Timed in the page: the pointerup to the value's arrival, to
the mask drawn on its canvas and to the start of the next frame (the one that paints it); and
the handler on the server.

Baselines in the same run: the fix this replaces, a brush stroke along the same edge applied
with Enter (Enter to the frame that shows the new mask; undone after each, which brings the polygon back), and
a Select click on the object (``select_at``, which changes no pixel: the transport's floor, to
the value's arrival).
"""

import functools
import statistics
import time

import cv2
import numpy as np

from bench_objects import make_coco
from conftest import free_port
from segcore import open_dataset
from test_browser import ARGS, CHROMIUM

ROOT = "#canvas .sc-ws"
#: A pause before each timed action (ms), as a user's: the previous request's event finishes on
#: the server (its last outputs, the queue) before the next is timed.
SETTLE = 500


def _serve_timed(path):
    from demo import protocol
    from demo.app import build_demo

    server = []
    original = protocol.on_canvas

    @functools.wraps(original)      # Gradio finds the event parameter by the signature
    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            server.append(time.perf_counter() - t)

    protocol.on_canvas = timed
    try:
        demo = build_demo(path).queue()
    finally:
        protocol.on_canvas = original
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    return demo, port, server


def _screen(page, x, y):
    """The screen point of image coordinates (x, y) (pixel x spans [x, x + 1])."""
    box = page.locator("#canvas .sc-stage").bounding_box()
    d = page.evaluate("() => ({...document.querySelector('#canvas .sc-ws').dataset})")
    z = float(d["zoom"])
    return box["x"] + float(d["offsetX"]) + x * z, box["y"] + float(d["offsetY"]) + y * z


def _times(page, before, start="up", mask=True):
    """(painted: the frame that shows the new mask began, drawn: on its canvas, arrived,
    rendered: the lists and outlines) in ms after the last pointerup (``start`` "up") or after
    the request left the page ("sent"); ``mask``: the action changes the mask."""
    page.wait_for_function("b => document.querySelector('#canvas .sc-ws').dataset.shown !== b", arg=before,
                           timeout=60_000)
    if mask:
        page.wait_for_function("() => { const d = document.querySelector('#canvas .sc-ws').dataset; "
                               "return +d.painted >= +d.drawn && +d.drawn >= +d.arrived; }", timeout=60_000)
    d = page.evaluate("() => ({...document.querySelector('#canvas .sc-ws').dataset, up: window.__up})")
    t0 = float(d[start])
    return tuple(float(d[k]) - t0 for k in ("painted", "drawn", "arrived", "rendered"))


def _shown(page):
    return page.locator(ROOT).get_attribute("data-shown")


def test_vertex_drag_round_trip(tmp_path):
    from playwright.sync_api import sync_playwright

    path = make_coco(tmp_path / "ds")
    objects = open_dataset(path).read_objects(0)
    # the object with the deepest visible pixel (a click there selects it, never edits a vertex)
    top_map = objects.top_map()
    edge = np.zeros(top_map.shape, bool)
    edge[:, 1:] |= top_map[:, 1:] != top_map[:, :-1]
    edge[1:] |= top_map[1:] != top_map[:-1]
    depth = cv2.distanceTransform((~edge & (top_map >= 0)).astype(np.uint8), cv2.DIST_L2, 5)
    h, w = depth.shape
    centre = np.zeros_like(depth)
    centre[h // 3:2 * h // 3, w // 3:2 * w // 3] = 1     # at 1:1 the object and its vertices stay in view
    depth *= centre
    iy, ix = np.unravel_index(int(np.argmax(depth)), depth.shape)
    inside = int(ix), int(iy)
    top = objects.items[int(top_map[iy, ix])]
    verts = top.polygon.vertices()[0]
    vx, vy = min(verts, key=lambda p: np.hypot(p[0] - ix, p[1] - iy))     # a vertex near it, on screen
    demo, port, server = _serve_timed(path)
    drags, clicks, brushes, srv_drag, srv_click, srv_brush = [], [], [], [], [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
            page.wait_for_timeout(500)
            page.evaluate("() => document.querySelector('#canvas .sc-stage').addEventListener('pointerup', "
                          "() => { window.__up = performance.now(); }, true)")
            page.keyboard.press("v")
            page.mouse.move(*_screen(page, inside[0] + .5, inside[1] + .5))
            page.keyboard.press("Shift+Digit1")              # 1:1 at the object: 4 pixels are 4 screen pixels
            page.mouse.click(*_screen(page, inside[0] + .5, inside[1] + .5))
            page.wait_for_function("n => document.querySelector('#canvas .sc-ws').dataset.vertices == n",
                                   arg=str(len(verts)), timeout=60_000)
            z = float(page.locator(ROOT).get_attribute("data-zoom"))
            for k in range(13):
                # the vertex: 4 pixels right, then back
                step = 4 if k % 2 == 0 else -4
                sx, sy = _screen(page, vx, vy)
                page.wait_for_timeout(SETTLE)
                before, n = _shown(page), len(server)
                page.mouse.move(sx, sy)
                page.mouse.down()
                for j in range(1, 5):
                    page.mouse.move(sx + step * z * j / 4, sy)
                page.mouse.up()
                drags.append(_times(page, before))
                srv_drag += server[n:]
                vx += step
                # baseline: a Select click on the object (a round trip that changes no pixel)
                page.wait_for_timeout(SETTLE)
                before, n = _shown(page), len(server)
                page.mouse.click(*_screen(page, inside[0] + .5, inside[1] + .5))
                clicks.append(_times(page, before, "sent", mask=False))
                srv_click += server[n:]
                # baseline: the same fix with the brush (a stroke over the vertex, Enter), then undone
                page.keyboard.press("b")
                page.mouse.move(sx - 3 * z, sy)
                page.mouse.down()
                page.mouse.move(sx + 3 * z, sy)
                page.mouse.up()
                page.wait_for_timeout(SETTLE)
                before, n = _shown(page), len(server)
                page.keyboard.press("Enter")
                brushes.append(_times(page, before, "sent"))
                srv_brush += server[n:]
                before = _shown(page)
                page.keyboard.press("Control+z")
                page.wait_for_function("b => document.querySelector('#canvas .sc-ws').dataset.shown !== b",
                                       arg=before, timeout=60_000)
                page.keyboard.press("v")
                page.wait_for_function("n => document.querySelector('#canvas .sc-ws').dataset.vertices == n",
                                       arg=str(len(verts)), timeout=60_000)
            before = _shown(page)
            page.keyboard.press("r")                         # Reviewed: saves and waits for it
            page.wait_for_function("b => document.querySelector('#canvas .sc-ws').dataset.shown !== b",
                                   arg=before, timeout=60_000)
            browser.close()
    finally:
        demo.close()
    objects = open_dataset(path).read_objects(0)
    assert objects.find(top.id).polygon.n_vertices == len(verts)     # the drags are on disk
    med = lambda rows: [statistics.median(c) / 1000 for c in zip(*rows[1:])]     # noqa: E731 (the first warms up)
    painted, drawn, arrived, rendered = med(drags)
    brush, _, brush_arrived, _ = med(brushes)
    _, _, click, _ = med(clicks)
    srv = lambda t: statistics.median(t[1:])                                   # noqa: E731
    print(f"\n1 MP ({objects.shape[1]}x{objects.shape[0]}, {len(objects)} objects) vertex drag, mouse-up to the frame "
          f"that shows the new mask, median of {len(drags) - 1}: {painted:.3f} s (value arrived {arrived:.3f} s; "
          f"handler {srv(srv_drag):.3f} s; lists and outlines drawn {rendered - arrived:.3f} s and the mask "
          f"{drawn - arrived:.3f} s after arrival; the frame began {painted - drawn:.3f} s after that).\nBaselines, "
          f"from the request leaving the page: the brush fix (a stroke, Enter) to its frame {brush:.3f} s (arrived "
          f"{brush_arrived:.3f} s; handler {srv(srv_brush):.3f} s): ratio {painted / brush:.2f}x; a Select click (no "
          f"pixel changed) to its answer {click:.3f} s (handler {srv(srv_click):.3f} s): the app's round trip, ratio "
          f"{arrived / click:.2f}x.\nGoal, median under 0.15 s: {'met' if painted < 0.15 else 'NOT met on this machine'}")
    # The goal's absolute figure depends on the machine's load; what the vertex edit itself costs
    # is held against the same run: no more than the brush fix it replaces (with a margin for
    # the noise of a loaded machine).
    assert painted < 0.15 or painted <= 1.5 * brush
