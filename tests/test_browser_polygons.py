"""Vertex editing in Chromium, on copies of coco-24 and labelme's example, checked on disk: select
a polygon object (its vertices show as handles), zoom to 400% at a vertex and drag it, press on
an edge to insert a vertex, remove one with Delete and another with Alt+click, undo, and move
the whole polygon with Shift+drag; each change is found in the file, and the rest of the file
stays as it was.

Screenshots are kept in a temporary folder (printed)."""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from copies import coco24_copy, labelme_copy, serve
from segcore import open_dataset

ROOT = "#canvas .sc-ws"


@pytest.fixture(scope="module")
def shots():
    folder = Path(tempfile.mkdtemp(prefix="segcore-vertices-"))
    yield folder
    print(f"screenshots in {folder}")


@pytest.fixture(params=["coco", "labelme"])
def served(request, shared_data, tmp_path):
    """``(kind, url, the item's label file, its dataset path)``."""
    if request.param == "coco":
        path = coco24_copy(shared_data, tmp_path)
        demo, url = serve(path)
        yield "coco", url, path, path
    else:
        root = labelme_copy(shared_data, tmp_path / "lm")
        demo, url = serve(root)
        yield "labelme", url, root / "2011_000003.json", root
    demo.close()


class Page:
    """The canvas of a page: file coordinates to screen points at any zoom, waiting for updates."""

    def __init__(self, page, offset: float):
        self.page = page
        self.root = page.locator(ROOT)
        self.offset = offset

    def attr(self, name) -> float:
        return float(self.root.get_attribute(f"data-{name}"))

    def shown(self) -> str:
        return self.root.get_attribute("data-shown") or ""

    def wait_update(self, before, timeout=30_000):
        self.page.wait_for_function(
            "b => { const r = document.querySelector('#canvas .sc-ws'); "
            "return r.dataset.shown && r.dataset.shown !== b; }",
            arg=before, timeout=timeout)

    def screen(self, x, y):
        """The screen point of file coordinates ``(x, y)`` (a vertex)."""
        box = self.page.locator("#canvas .sc-stage").bounding_box()
        z = self.attr("zoom")
        return (box["x"] + self.attr("offset-x") + (x + self.offset) * z,
                box["y"] + self.attr("offset-y") + (y + self.offset) * z)

    def pixel(self, x, y):
        return self.screen(x + 0.5 - self.offset, y + 0.5 - self.offset)


def annotation(kind: str, path: Path, oid: int, position: int | None = None):
    """The vertices of object ``oid`` on disk, ``[[x, y], ...]``, and the rest of the file."""
    data = json.loads(path.read_text())
    if kind == "coco":
        (ann,) = [a for a in data["annotations"] if a["id"] == oid]
        pts = np.asarray(ann["segmentation"][0], float).reshape(-1, 2).tolist()
        rest = [a for a in data["annotations"] if a["id"] != oid]
        return pts, rest
    shapes = data["shapes"]
    pts = shapes[position]["points"]
    return pts, [s for k, s in enumerate(shapes) if k != position]


#: The mask and boundary canvases as drawn: {name: [width, height, a digest of their RGBA]}.
LAYERS = """() => Object.fromEntries(['mask', 'edges'].map((name) => {
  const c = document.querySelector('#canvas .sc-' + name);
  const px = new Uint32Array(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.buffer);
  let h = 2166136261;
  for (let i = 0; i < px.length; i++) h = Math.imul(h ^ px[i], 16777619) >>> 0;
  return [name, [c.width, c.height, h]];
}))"""


def wait_file(path: Path, before: str, timeout=20.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        text = path.read_text()
        if text != before:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{path.name} did not change")


def test_drag_insert_delete_vertices_at_400_percent(served, browser, shots):
    kind, url, path, data_path = served
    ds = open_dataset(data_path)
    i = 0 if kind == "coco" else ds.names.index("2011_000003")
    objects = ds.read_objects(i)
    top = objects.items[-1]
    position = len(objects) - 1
    shape = objects.shape
    # a pixel where the top object shows, well inside it
    import cv2
    inner = cv2.erode(top.mask.full(shape).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    ys, xs = np.nonzero(inner)
    px, py = int(xs[len(xs) // 2]), int(ys[len(ys) // 2])
    verts = top.polygon.vertices()[0]
    n = len(verts)
    h, w = shape                                     # a vertex away from the image's edges
    k = int(np.argmax([min(x, y, w - 1 - x, h - 1 - y) for x, y in verts]))
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url)
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        if kind == "labelme":
            page.locator("#files .sc-file", has_text="2011_000003").click()
            page.wait_for_function("n => document.querySelector('#status').innerText.includes(n)", arg="2011_000003")
        v = Page(page, top.polygon.offset)
        original = path.read_text()
        page.keyboard.press("v")
        before = v.shown()
        page.mouse.click(*v.pixel(px, py))
        v.wait_update(before)
        page.wait_for_function("n => document.querySelector('#canvas .sc-ws').dataset.vertices == n", arg=str(n))
        page.screenshot(path=str(shots / f"{kind}-selected.png"))

        # zoom to 400% at vertex k (Shift+1 is 1:1; the wheel zooms at the cursor)
        page.mouse.move(*v.screen(*verts[k]))
        page.keyboard.press("Shift+Digit1")
        page.mouse.wheel(0, -100 * math.log(4) / math.log(1.25))
        page.wait_for_function("() => Math.abs(+document.querySelector('#canvas .sc-ws').dataset.zoom - 4) < 0.05")
        assert v.attr("zoom") == pytest.approx(4, abs=0.05)

        # drag vertex k by (+3, +2) image pixels
        sx, sy = v.screen(*verts[k])
        page.mouse.move(sx, sy)
        page.mouse.down()
        for j in range(1, 7):
            page.mouse.move(sx + 12 * j / 6, sy + 8 * j / 6)
        page.screenshot(path=str(shots / f"{kind}-dragging.png"))
        before = v.shown()
        page.mouse.up()
        v.wait_update(before)
        text = wait_file(path, original)
        pts, rest = annotation(kind, path, top.id, position)
        assert len(pts) == n
        moved = [j for j in range(n) if pts[j] != list(map(float, verts[j]))]
        assert moved == [k], moved
        assert pts[k] == pytest.approx([verts[k][0] + 3, verts[k][1] + 2], abs=0.3)
        page.screenshot(path=str(shots / f"{kind}-dragged.png"))

        # press on the edge k -> k+1, 40 screen pixels from vertex k: a new vertex k+1 there
        a = np.asarray(v.screen(*pts[k]))
        b = np.asarray(v.screen(*pts[(k + 1) % n]))
        t = min(0.5, 40 / float(np.hypot(*(b - a))))
        ex, ey = a + t * (b - a)
        before = v.shown()
        page.mouse.click(float(ex), float(ey))
        v.wait_update(before)
        text2 = wait_file(path, text)
        pts2, _ = annotation(kind, path, top.id, position)
        assert len(pts2) == n + 1 and pts2[:k + 1] == pts[:k + 1] and pts2[k + 2:] == pts[k + 1:]
        want = np.asarray(pts[k]) + t * (np.asarray(pts[(k + 1) % n]) - np.asarray(pts[k]))
        assert np.hypot(*(np.asarray(pts2[k + 1]) - want)) < 0.5
        page.screenshot(path=str(shots / f"{kind}-inserted.png"))

        # Delete with the cursor on the new vertex removes it
        page.mouse.move(*v.screen(*pts2[k + 1]))
        before = v.shown()
        page.keyboard.press("Delete")
        v.wait_update(before)
        text3 = wait_file(path, text2)
        pts3, _ = annotation(kind, path, top.id, position)
        assert pts3 == pts
        # Alt+click removes vertex k; Ctrl+Z brings it back
        before = v.shown()
        page.keyboard.down("Alt")
        page.mouse.click(*v.screen(*pts[k]))
        page.keyboard.up("Alt")
        v.wait_update(before)
        text4 = wait_file(path, text3)
        pts4, _ = annotation(kind, path, top.id, position)
        assert pts4 == pts[:k] + pts[k + 1:]
        page.screenshot(path=str(shots / f"{kind}-deleted.png"))
        before = v.shown()
        page.keyboard.press("Control+z")
        v.wait_update(before)
        text5 = wait_file(path, text4)
        assert annotation(kind, path, top.id, position)[0] == pts

        # Shift+drag inside moves the whole polygon (fitted view)
        page.keyboard.press("f")
        page.wait_for_timeout(200)
        sx, sy = v.pixel(px, py)
        z = v.attr("zoom")
        page.keyboard.down("Shift")
        page.mouse.move(sx, sy)
        page.mouse.down()
        for j in range(1, 6):
            page.mouse.move(sx + 10 * z * j / 5, sy - 5 * z * j / 5)
        before = v.shown()
        page.mouse.up()
        page.keyboard.up("Shift")
        v.wait_update(before)
        wait_file(path, text5)
        pts6, rest6 = annotation(kind, path, top.id, position)
        d = np.asarray(pts6) - np.asarray(pts)
        # (10, -5) pixels, or as far as the polygon stays on the image
        a, off = np.asarray(pts), top.polygon.offset
        want = [min(10, w - off - a[:, 0].max()), max(-5, -off - a[:, 1].min())]
        assert np.allclose(d, d[0], atol=0.011) and d[0] == pytest.approx(want, abs=0.6)
        _, rest_orig = annotation(kind, Path(original_file(path, original)), top.id, position)
        assert rest6 == rest_orig                       # every other annotation as it was
        page.screenshot(path=str(shots / f"{kind}-moved.png"))

        # The mask and the boundaries the page drew from the answers' changed boxes are, pixel for
        # pixel, what a page opening the item now draws from the whole pictures.
        patched = page.evaluate(LAYERS)
        page.reload()
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        if kind == "labelme":
            before = v.shown()
            page.locator("#files .sc-file", has_text="2011_000003").click()
            v.wait_update(before)
        whole = page.evaluate(LAYERS)
        assert patched == whole and patched["mask"][0] == w
    except Exception:
        page.screenshot(path=str(shots / f"{kind}-failure.png"))
        raise
    finally:
        page.close()


def original_file(path: Path, text: str) -> Path:
    out = path.with_name("original-" + path.name)
    out.write_text(text)
    return out
