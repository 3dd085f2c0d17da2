"""Shared fixtures. Tests never touch the network: SEGCORE_OFFLINE=1 and a private TORCH_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _offline(tmp_path_factory):
    home = tmp_path_factory.mktemp("torch_home")
    old = {k: os.environ.get(k) for k in ("SEGCORE_OFFLINE", "TORCH_HOME", "GRADIO_ANALYTICS_ENABLED")}
    os.environ.update(SEGCORE_OFFLINE="1", TORCH_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False")
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real sample data beside the project; tests using it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


def make_checkpoint(name: str, path: Path, seed: int = 0) -> Path:
    """A random-init torchvision checkpoint whose class head varies across the image
    (a plain random init predicts one class everywhere, which would make tests blind)."""
    import torch
    import torchvision

    torch.manual_seed(seed)
    net = torchvision.models.get_model(name, weights=None, weights_backbone=None, num_classes=21)
    for mod in net.modules():
        if isinstance(mod, torch.nn.Conv2d) and mod.out_channels == 21:
            torch.nn.init.normal_(mod.weight, std=1.0)
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.momentum = None  # cumulative average: one pass sets the statistics
    # BatchNorm statistics from textured images keep features varied in eval mode.
    batch = torch.stack([torch.from_numpy(textured_image(260, 260, seed=s)).permute(2, 0, 1).float() / 255
                         for s in range(4)])
    net.train()
    with torch.no_grad():
        net((batch - 0.45) / 0.225)
    torch.save(net.eval().state_dict(), path)
    return path


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    """Factory: ``checkpoints(name)`` -> path of a cached random-init checkpoint."""
    folder = tmp_path_factory.mktemp("ckpt")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = make_checkpoint(name, folder / f"{name}.pth")
        return made[name]

    return get


def textured_image(h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    """Smooth random RGB uint8 (H, W, 3): blobs a net responds to, unlike white noise."""
    import cv2

    rng = np.random.default_rng(seed)
    small = (rng.random((max(2, h // 12), max(2, w // 12), 3)) * 255).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "segcore", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    """The app in this process on a free localhost port."""
    from demo.app import build_demo

    demo = build_demo().queue(default_concurrency_limit=2)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def scene_dataset(folder: Path, n: int = 4, size=(240, 320)) -> Path:
    """A plain image folder with classes (labels.txt): photos with a bright square of
    uniform colour on a textured background, items ``scene0.jpg`` ... (no labels yet)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    h, w = size
    for k in range(n):
        rgb = textured_image(h, w, seed=k) // 3
        rgb[60:180, 80:240] = (230, 200, 40)
        Image.fromarray(rgb).save(folder / f"scene{k}.png")
    (folder / "labels.txt").write_text("background\ncar\nperson\n")
    return folder


@pytest.fixture(scope="module")
def dataset_app(tmp_path_factory):
    """``(url, dataset folder)``: the app serving a fresh dataset of 4 scenes."""
    from demo.app import build_demo

    folder = scene_dataset(tmp_path_factory.mktemp("served") / "scenes")
    demo = build_demo(folder).queue(default_concurrency_limit=4)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield f"http://127.0.0.1:{port}/", folder
    demo.close()


def grown_box(mask, frac: float = 0.10):
    """``(mask of the box, (x0, y0, x1, y1))``: the bounding box of ``mask`` (bool (H, W)),
    grown by ``frac`` of its width and height on each side (what the edits issue checks)."""
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    mx, my = int(np.ceil(frac * (x1 - x0))), int(np.ceil(frac * (y1 - y0)))
    out = np.zeros(mask.shape, bool)
    out[max(0, y0 - my):y1 + my, max(0, x0 - mx):x1 + mx] = True
    return out, (int(x0), int(y0), int(x1), int(y1))
