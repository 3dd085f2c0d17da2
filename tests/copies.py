"""Working copies of ../shared/data for tests that write (never the shared data itself), and
the app served on a free port."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import free_port


def coco24_copy(shared_data: Path, folder: Path) -> Path:
    """coco-24's JSON in ``folder`` (as Python's json writes it, indent 1), images linked;
    returns the JSON's path."""
    src = shared_data / "coco-24"
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads((src / "annotations.json").read_text())
    (folder / "annotations.json").write_text(json.dumps(data, indent=1))
    (folder / "images").symlink_to(src / "images")
    return folder / "annotations.json"


def labelme_copy(shared_data: Path, root: Path) -> Path:
    """labelme's example folder with its labels.txt at ``root``."""
    shutil.copytree(shared_data / "labelme-voc" / "data_annotated", root)
    shutil.copy(shared_data / "labelme-voc" / "labels.txt", root / "labels.txt")
    return root


def serve(path):
    """``(demo, url)``: the app on ``path``, launched on a free port (close the demo after)."""
    from demo.app import build_demo

    demo = build_demo(path).queue(default_concurrency_limit=4)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def coco_app(shared_data, tmp_path_factory):
    """``(url, annotations.json)``: the app on a coco-24 copy (its JSON as Python's json writes
    it, indent 1), one per test module that imports this fixture."""
    path = coco24_copy(shared_data, tmp_path_factory.mktemp("coco"))
    demo, url = serve(path)
    yield url, path
    demo.close()


@pytest.fixture(scope="module")
def labelme_app(shared_data, tmp_path_factory):
    """``(url, folder)``: the app on a copy of labelme's example folder."""
    root = labelme_copy(shared_data, tmp_path_factory.mktemp("labelme") / "lm")
    demo, url = serve(root)
    yield url, root
    demo.close()
