"""Opening a dataset of 10,000 images: time and memory, against listing the folder.

Run: python -m pytest -s tests/bench/bench_dataset.py
A plain folder of 10,000 small JPEGs (half with label PNGs in SegmentationClass, 2,000
status records) and a VOC root of the same. Reported: median open time over 5 runs, the
time to read every item's status, peak Python memory of an open (tracemalloc), and
``os.listdir`` of the same folders as the same-run baseline.
"""

import io
import json
import os
import statistics
import time
import tracemalloc

import numpy as np
from PIL import Image

from segcore import open_dataset

N = 10_000


def make(root, voc: bool):
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(buf, format="JPEG")
    jpeg = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8), np.uint8), mode="P").save(buf, format="PNG")
    png = buf.getvalue()
    images = root / "JPEGImages" if voc else root
    images.mkdir(parents=True, exist_ok=True)
    (root / "SegmentationClass").mkdir(exist_ok=True)
    for k in range(N):
        (images / f"img_{k:05d}.jpg").write_bytes(jpeg)
        if k % 2 == 0:
            (root / "SegmentationClass" / f"img_{k:05d}.png").write_bytes(png)
    (root / ".segcore").mkdir(exist_ok=True)
    (root / ".segcore" / "status.json").write_text(json.dumps(
        {"version": 1, "items": {f"img_{k:05d}": "reviewed" for k in range(0, 4000, 2)}}))
    (root / "labels.txt").write_text("background\nthing\n")
    return images


def timed(fn, runs=5):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


def test_open_10000(tmp_path):
    for voc in (False, True):
        root = tmp_path / ("voc" if voc else "folder")
        images = make(root, voc)
        base, _ = timed(lambda: (os.listdir(images), os.listdir(root / "SegmentationClass")))
        t_open, ds = timed(lambda: open_dataset(root))
        t_status, counts = timed(lambda: ds.counts(), runs=3)
        tracemalloc.start()
        open_dataset(root)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"\n{'VOC root' if voc else 'plain folder'} of {N} images: open median {t_open * 1000:.0f} ms "
              f"(listdir baseline {base * 1000:.1f} ms, {t_open / base:.1f}x), every status "
              f"{t_status * 1000:.0f} ms, peak Python memory {peak / 2**20:.1f} MiB; {counts}")
        assert len(ds) == N
        assert counts["reviewed"] == 2000 and counts["unlabelled"] == N // 2
        assert t_open < 2.0
