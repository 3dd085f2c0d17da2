"""Shared fixtures and helpers. Tests never touch the network: SEGCORE_OFFLINE=1 and a private
TORCH_HOME. Use these rather than writing your own (each is made once, where it can be):

- ``run_cli("predict", ...)``: segcore's CLI called in this process (``segcore.cli.main``), its
  stdout and stderr captured at the file descriptors, returned as a ``CompletedProcess``.
  ``run_cli_process(...)`` starts a real ``python -m segcore``: only for a test of the process
  itself (the console scripts, a run that is killed).
- ``app_url`` (session): the app on uploads. ``dataset_app`` (module): ``(url, folder)``, the app on
  a fresh dataset of 4 scenes (``scene_dataset``). Another dataset: ``with serve_app(path) as url``
  in a fixture of your module (module scope where its tests can share the dataset's state).
- ``browser`` (session): the one Chromium of the run (``page = browser.new_page(...)``, closed by
  the test); a test that uses it is marked ``browser`` and skipped where Chromium is absent.
- ``checkpoints(name)`` (session): a random-init torchvision checkpoint; its ONNX export is cached
  beside it, so both are made once. ``mobile_sam_weights`` (session): a random-weight MobileSAM.
- ``ray_local`` (session): the one local Ray instance (2 CPUs); a test that uses it is marked ``ray``.
- ``shared_data`` (the real data in ../shared/data, skipped where absent), ``scene_dataset``,
  ``textured_image``, ``grown_box``, ``free_port``; ``wait_until(condition)`` polls instead of
  a fixed sleep.

Markers (pytest.ini): ``slow`` tests are left out of the default run (``python -m pytest -q``)
and run by ``--all`` (what CI runs); ``browser`` and ``ray`` say what a test starts. A test that
needs more than ~10 s of CPU on 2 cores (training, big exports, Ray, a server process) is
``slow`` unless it is the default run's only cover of its behaviour. Under pytest-xdist
(``-n 2 --dist loadgroup``) each module runs on one worker; modules sharing a session fixture
(Chromium, MobileSAM, Ray) share an ``xdist_group``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli_runs import captured_output, run_cli, run_cli_process  # noqa: F401 (the tests import them from here)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Session fixtures that tie their tests to one xdist worker, and the marker they give.
SHARED = {"browser": "browser", "ray_local": "ray", "mobile_sam_weights": None}

if not any("bench" in a for a in sys.argv[1:]):
    # One torch thread per test process (before torch is imported): the run's servers, Chromium
    # and xdist's other worker hold a core too, and two OpenMP threads spinning for a busy core
    # made a small training 6x slower (6.7 s against 40 s). Benchmarks keep torch's default.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


# -- the two runs -------------------------------------------------------------------------------
def pytest_addoption(parser):
    parser.addoption("--all", action="store_true", dest="run_all",
                     help="run every test, the slow ones too (what CI runs)")


def pytest_configure(config):
    # pytest.ini leaves the slow tests out (-m "not slow"); --all, or a test named by its id
    # (tests/test_x.py::test_y), runs them. A -m on the command line replaces pytest.ini's and wins.
    args = [str(a) for a in config.invocation_params.args]
    if not any(a.startswith("-m") for a in args) and (config.getoption("run_all") or any("::" in a for a in args)):
        config.option.markexpr = ""
    # At its end pytest runs gc.collect() five times (to report exceptions raised in finalizers):
    # over torch's and Gradio's objects that took ~30 s of the default run's wall time. Once.
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:       # a pytest without it: its own default
        return
    config.stash[gc_collect_iterations_key] = 1


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Marks from the fixtures a test uses (browser, ray); and for pytest-xdist's loadgroup one
    group per module (its module fixtures made once), modules that use one of the shared session
    fixtures in that fixture's group (made once). Before xdist and -m read the marks."""
    group: dict[str, str] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        used = [f for f in SHARED if f in getattr(item, "fixturenames", ())]
        for f in used:
            if SHARED[f]:
                item.add_marker(SHARED[f])
        if used and module not in group:
            group[module] = used[0]
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            module = item.nodeid.split("::")[0]
            item.add_marker(pytest.mark.xdist_group(group.get(module, module)))


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


def wait_until(condition, timeout: float = 60.0, every: float = 0.05):
    """Poll ``condition()`` until it is truthy (returned) or ``timeout`` seconds pass (its last
    value returned: the caller's assert says what was awaited)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(data=None, concurrency: int = 4):
    """The app of ``build_demo(data)`` (a dataset, or None: uploads) served in this process on a
    free localhost port; yields its URL and closes it on exit."""
    from demo.app import build_demo

    demo = build_demo(data).queue(default_concurrency_limit=concurrency)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="session")
def app_url():
    """The app on uploads (each client is a session of its own), one for the whole run."""
    with serve_app(concurrency=2) as url:
        yield url


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
    """``(url, dataset folder)``: the app serving a fresh dataset of 4 scenes (its items change
    as the module's tests edit them)."""
    folder = scene_dataset(tmp_path_factory.mktemp("served") / "scenes")
    with serve_app(folder) as url:
        yield url, folder


def grown_box(mask, frac: float = 0.10):
    """``(mask of the box, (x0, y0, x1, y1))``: the bounding box of ``mask`` (bool (H, W)),
    grown by ``frac`` of its width and height on each side (what the edits issue checks)."""
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    mx, my = int(np.ceil(frac * (x1 - x0))), int(np.ceil(frac * (y1 - y0)))
    out = np.zeros(mask.shape, bool)
    out[max(0, y0 - my):y1 + my, max(0, x0 - mx):x1 + mx] = True
    return out, (int(x0), int(y0), int(x1), int(y1))


# -- heavy things made once per run -----------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    """The run's one headless Chromium (Debian's, driven by Playwright from PyPI; never
    ``playwright install``). Skipped where it is absent, except on CI, which installs it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing on CI: .ci/run must apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def mobile_sam_weights(tmp_path_factory) -> Path:
    """A random-weight MobileSAM checkpoint built by the official package, under its official
    file name; exported to ONNX here, once (the files are cached beside it, the engine in
    this process)."""
    pytest.importorskip("segment_anything")
    pytest.importorskip("mobile_sam")
    from segcore.models.prompters.sam import load_sam
    from test_sam import make_sam_checkpoint

    path = make_sam_checkpoint("mobile_sam", tmp_path_factory.mktemp("mobile_sam"))
    load_sam("mobile_sam", weights=path)
    return path


@pytest.fixture(scope="session")
def ray_local():
    """The run's one local Ray instance (2 CPUs), started as ``segcore predict --ray`` starts it
    (the workers see SEGCORE_OFFLINE and TORCH_HOME); the Ray code of the tests joins it."""
    ray = pytest.importorskip("ray")
    from segcore.models.ray_predict import _connect

    _connect(None, 2)
    yield ray
    ray.shutdown()
