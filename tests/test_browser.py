"""One real-browser run, as a user would: upload, GrabCut, paint a stroke, apply, export COCO.

Chromium comes from Debian (``apt-get install chromium``, done by .ci/run) and Playwright from
PyPI (never ``playwright install``). On failure a screenshot of each tab is kept.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing on CI: .ci/run must apt-get install chromium")
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def test_upload_segment_paint_apply_export(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = Path(tempfile.mkdtemp(prefix="segcore-browser-"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.goto(app_url)
            page.locator("#photo input[type=file]").set_input_files("assets/portrait.jpg")
            page.locator("#photo img").first.wait_for(timeout=30_000)
            page.locator("#segment-btn").click()
            page.locator("#overlay img").first.wait_for(timeout=60_000)
            page.get_by_role("tab", name="Correct").click()
            canvas = page.locator("#editor canvas").first
            canvas.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)  # let the editor draw background and layer
            page.get_by_role("button", name="Brush").first.click()
            page.wait_for_timeout(300)
            page.mouse.click(5, 5)  # close the colour popover, if any
            # The canvas fills the editor; the image sits at its centre at the zoom shown.
            box = canvas.bounding_box()
            zoom = float(page.locator("#editor").get_by_text(re.compile(r"^\d+%$")).first.inner_text()[:-1]) / 100
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

            def screen(x, y):
                return cx + (x - 320) * zoom, cy + (y - 400) * zoom

            y = 40
            page.mouse.move(*screen(60, y))
            page.mouse.down()
            for x in range(60, 201, 10):
                page.mouse.move(*screen(x, y))
            page.mouse.up()
            page.wait_for_timeout(500)
            page.screenshot(path=str(shots / "painted.png"))
            page.locator("#apply-btn").click()
            page.wait_for_function("document.querySelector('#status').innerText.includes('undo available')",
                                   timeout=30_000)
            page.get_by_role("tab", name="Export").click()
            page.locator("#export-btn").click()
            link = page.locator("#export-file a").first
            link.wait_for(timeout=30_000)
            body = page.request.get(link.get_attribute("href")).body()
            (tmp_path / "export.json").write_bytes(body)
            coco = COCO(str(tmp_path / "export.json"))
            fg = np.zeros((800, 640), bool)
            for ann in coco.dataset["annotations"]:
                if ann["category_id"] == 1:
                    fg |= coco.annToMask(ann).astype(bool)
            stroke = fg[y - 2:y + 3, 80:181]
            assert stroke.mean() > 0.9, "the painted class is not where it was painted"
        except Exception:
            page.set_default_timeout(5_000)
            for tab in ("Segment", "Correct", "Export", "Evaluate"):
                try:
                    page.get_by_role("tab", name=tab).click()
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(shots / f"{tab}.png"), full_page=True)
                except Exception:
                    pass
            print(f"screenshots of each tab in {shots}")
            raise
        finally:
            browser.close()
