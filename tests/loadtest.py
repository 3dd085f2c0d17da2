"""A load test of the app: N concurrent gradio_client clients, each adds a class, then R rounds
of upload a 1-megapixel photo -> apply a brush stroke of its own -> export COCO, against one app
process started here (GrabCut is no Segment model any more: it needs a prompt). Used by tests/test_load.py (short) and tests/bench/bench_load.py."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_app(port: int):
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", SEGCORE_OFFLINE="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "demo", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    from gradio_client import Client

    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False)
            return proc
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read())
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start")


def photo_1mp(folder: Path) -> Path:
    from segcore import load_image

    rgb = load_image(ROOT / "assets" / "portrait.jpg")
    big = np.asarray(Image.fromarray(rgb).resize((896, 1120)))        # 1.0 MP
    p = folder / "photo_1mp.jpg"
    Image.fromarray(big).save(p, quality=92)
    return p


def client_rect(k: int) -> tuple[int, int, int, int]:
    """Each client paints its own rectangle: none overlaps another's."""
    x0, y0 = 20 + (k % 4) * 200, 20 + (k // 4) * 120
    return x0, y0, x0 + 150, y0 + 80


def run_load(url: str, folder: Path, clients: int, rounds: int):
    """Returns ``(latencies {endpoint: [s]}, failures [str], exports [(k, path)])``."""
    from gradio_client import Client, handle_file
    from pycocotools.coco import COCO

    photo = photo_1mp(folder)
    base = np.zeros((1120, 896), bool)     # nothing labelled before a client's own stroke
    strokes = []
    for k in range(clients):
        x0, y0, x1, y1 = client_rect(k)
        yc, r = (y0 + y1) // 2, (y1 - y0) // 2
        # A brush stroke as the browser sends it: its band covers the client's rectangle.
        strokes.append({"pending": [{"points": [[x0, yc], [x1 - 1, yc]], "radius": r, "cls": 1}]})
    lat: dict[str, list[float]] = {"upload": [], "apply_edit": [], "export": []}
    failures: list[str] = []
    wrong: list[str] = []
    lock = threading.Lock()

    def one(k):
        try:
            c = Client(url, verbose=False)
        except Exception as e:
            with lock:
                failures.append(f"client {k}: {e}")
            return
        try:
            c.predict("mark", api_name="/add_class")        # class 1, for the strokes
        except Exception as e:
            with lock:
                failures.append(f"client {k} add_class: {str(e)[:200]}")
            return
        for r in range(rounds):
            for name, call in (
                    ("upload", lambda: c.predict([handle_file(str(photo))], api_name="/add_images")),
                    ("apply_edit", lambda: c.predict(strokes[k], api_name="/apply_edit")),
                    ("export", lambda: c.predict("coco_json", api_name="/export"))):
                t = time.perf_counter()
                try:
                    out = call()
                except Exception as e:
                    with lock:
                        failures.append(f"client {k} round {r} {name}: {str(e)[:200]}")
                    return
                with lock:
                    lat[name].append(time.perf_counter() - t)
            coco = COCO_quiet(out)
            mask = np.zeros((1120, 896), bool)
            for a in coco.dataset["annotations"]:
                mask |= coco.annToMask(a).astype(bool)
            for j in range(clients):
                x0, y0, x1, y1 = client_rect(j)
                mine = mask[y0:y1, x0:x1].all()
                if (j == k) != mine and (j == k or not base[y0:y1, x0:x1].all()):
                    with lock:
                        wrong.append(f"client {k} round {r}: rectangle of client {j} is "
                                     f"{'missing' if j == k else 'present'}")

    def COCO_quiet(path):
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            return COCO(path)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, failures, wrong


def summary(lat) -> str:
    rows = []
    for name, xs in lat.items():
        if xs:
            xs = sorted(xs)
            p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
            rows.append(f"{name:11} n={len(xs):3d} p50 {statistics.median(xs):6.2f} s  p95 {p95:6.2f} s")
    return "\n".join(rows)
