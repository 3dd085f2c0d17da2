"""Find all through the app's API (gradio_client) with a tiny random SAM 3 named in
SEGCORE_WEIGHTS: on COCO the instances transformers returns for the class's prompt become
objects, exactly, with their scores, in one undoable step; on a class map the class is painted
under the overwrite rule; a mistake raises one line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from conftest import free_port

pytest.importorskip("transformers")
pytest.importorskip("open_clip")
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402

from sam3_tiny import save_tiny  # noqa: E402
from test_sam3 import reference  # noqa: E402

THRESHOLD = 0.25


@pytest.fixture(scope="module")
def sam3_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("sam3") / "tiny", seed=1, num_queries=8)


def _serve(path, monkeypatch, sam3_dir):
    from demo.app import build_demo

    monkeypatch.setenv("SEGCORE_WEIGHTS", f"sam3={sam3_dir}")
    demo = build_demo(path).queue(default_concurrency_limit=2)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


def _instances(rgb, text, sam3_dir):
    """``[(mask, score), ...]`` of transformers' own pipeline on the tiny model, non-empty masks."""
    from segcore.models import CONCEPTS, load

    ref = reference(load("sam3", CONCEPTS, weights=sam3_dir).model, rgb, text, THRESHOLD)
    return [(m.numpy().astype(bool), s) for m, s in zip(ref["masks"], ref["scores"].tolist()) if m.any()]


def test_find_all_adds_the_instances_transformers_finds_as_objects(shared_data, tmp_path, monkeypatch, sam3_dir):
    from segcore import open_dataset

    src = shared_data / "coco-24"
    shutil.copy(src / "annotations.json", tmp_path / "annotations.json")
    (tmp_path / "images").symlink_to(src / "images")
    path = tmp_path / "annotations.json"
    demo, url = _serve(path, monkeypatch, sam3_dir)
    try:
        before = json.loads(path.read_text())
        ds = open_dataset(path)
        i = 2
        name, rgb = ds.names[i], ds.read_image(i)
        cats = {c["name"]: c["id"] for c in before["categories"]}
        cls = next(n for n in ("person", "car", "dog") if n in cats)
        want = _instances(rgb, cls, sam3_dir)
        assert 2 <= len(want) <= 8
        c = Client(url, verbose=False)
        c.predict(name, api_name="/open_item")
        c.predict(cls, THRESHOLD, api_name="/find_all")
        c.predict(api_name="/undo")                      # one step: all of them go
        c.predict(cls, THRESHOLD, api_name="/find_all")
        c.predict(api_name="/next_item")                 # saved
        after = json.loads(path.read_text())
        old_ids = {a["id"] for a in before["annotations"]}
        assert [a for a in after["annotations"] if a["id"] in old_ids] == before["annotations"]
        new = [a for a in after["annotations"] if a["id"] not in old_ids]
        assert len(new) == len(want)                     # the undone ones were never written
        coco = COCO(str(path))
        img_id = next(im["id"] for im in before["images"] if im["file_name"] == name or
                      im["file_name"].endswith("/" + name))
        for a in new:
            assert a["image_id"] == img_id and a["category_id"] == cats[cls]
            mask = coco.annToMask(a).astype(bool)
            match = [m for m, s in want if abs(s - a["score"]) < 1e-6]
            assert len(match) == 1 and (match[0] == mask).all()
        assert sorted(a["score"] for a in new) == pytest.approx(sorted(s for _, s in want), abs=1e-6)

        # the prompt text set for a class is what Find all asks for
        c.predict(name, api_name="/open_item")
        c.predict(cls, "human being", api_name="/set_class_prompt")
        assert json.loads((tmp_path / ".segcore" / "annotations.prompts.json").read_text())["prompts"] == \
            {cls: "human being"}
        other = _instances(rgb, "human being", sam3_dir)
        assert sorted(s for _, s in other) != sorted(s for _, s in want)
        c.predict(cls, THRESHOLD, api_name="/find_all")
        c.predict(api_name="/next_item")
        again = json.loads(path.read_text())["annotations"]
        added = [a for a in again if a["id"] not in {b["id"] for b in after["annotations"]}]
        assert sorted(a["score"] for a in added) == pytest.approx(sorted(s for _, s in other), abs=1e-6)

        # mistakes: one line each, nothing changed
        c.predict(name, api_name="/open_item")
        for args, words in (((cls, 2), "maximum value 1"), (("lorry", 0.5), "(?i)no class named"),
                            (("background", 0.5), "background")):
            with pytest.raises(AppError, match=words):
                c.predict(*args, api_name="/find_all")
        assert json.loads(path.read_text())["annotations"] == again
    finally:
        demo.close()


def test_find_all_paints_a_class_map_under_the_overwrite_rule(tmp_path, monkeypatch, sam3_dir):
    from PIL import Image

    from conftest import scene_dataset
    from segcore import open_dataset

    folder = scene_dataset(tmp_path / "scenes", n=2)
    ds = open_dataset(folder)
    rgb = ds.read_image(0)
    mine = np.full(rgb.shape[:2], 0, np.uint8)
    mine[:, :100] = 2                                     # a person strip someone labelled
    ds.write_labels(0, mine)
    union = np.zeros(rgb.shape[:2], bool)
    for m, _ in _instances(rgb, "car", sam3_dir):
        union |= m
    assert union[:, :100].any() and union[:, 100:].any()
    demo, url = _serve(folder, monkeypatch, sam3_dir)
    try:
        c = Client(url, verbose=False)
        c.predict(ds.names[0], api_name="/open_item")
        c.predict("unlabelled", api_name="/set_overwrite")
        c.predict("car", THRESHOLD, api_name="/find_all")
        c.predict(api_name="/next_item")
    finally:
        demo.close()
    got = np.asarray(Image.open(folder / "SegmentationClass" / f"{ds.names[0]}.png"))
    want = mine.copy()
    want[union & (mine == 0)] = 1                         # background takes the class; the person strip stays
    assert (got == want).all()


@pytest.mark.slow
def test_find_all_button_in_the_browser(tmp_path, monkeypatch, sam3_dir, browser):
    """Class 1 (car) picked with its key, Find all pressed: the toast says what was found, the
    canvas shows it, and moving on writes it."""
    import tempfile
    from pathlib import Path

    from conftest import scene_dataset
    from segcore import open_dataset
    from test_browser import Canvas

    folder = scene_dataset(tmp_path / "scenes", n=2)
    ds = open_dataset(folder)
    union = np.zeros(ds.read_image(0).shape[:2], bool)
    for m, _ in _instances(ds.read_image(0), "car", sam3_dir):
        union |= m
    assert union.any()
    demo, url = _serve(folder, monkeypatch, sam3_dir)
    shots = Path(tempfile.mkdtemp(prefix="segcore-find-all-"))
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_function("() => document.querySelector('#canvas .sc-ws')?.dataset.shown", timeout=60_000)
        cv = Canvas(page)
        number = page.locator("#find-threshold input[type=number]")
        number.fill(str(THRESHOLD))
        number.press("Enter")
        number.blur()                       # the keys go to the canvas again
        page.keyboard.press("1")
        before = cv.shown()
        page.locator("#find-all-btn").click()
        page.get_by_text("pixels took the class").first.wait_for(timeout=60_000)
        cv.wait_update(before)
        page.screenshot(path=str(shots / "find-all.png"))
        cv.key("d")
        page.close()
    finally:
        demo.close()
    print(f"screenshots in {shots}")
    labels = open_dataset(folder).read_labels(0)
    assert (labels[union] == 1).all() and (labels[~union] != 1).all()
