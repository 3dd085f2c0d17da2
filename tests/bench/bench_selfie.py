"""The selfie person model on ../shared/data/people-40, with ../shared/models.

Run: python -m pytest -s tests/bench/bench_selfie.py

Rows (person IoU and boundary F at 2 px of the cutout's alpha >= 0.5, and the whole cutout's
seconds per megapixel: mask, trimap, matte, foreground colours):
  raw   the raw model as MediaPipe runs it: photo stretched to 256x256, bilinear, 0.5
  (a)   our selfie, no prompt (square windows + mirror views)
  (b)   with the mask's bounding box
  (c)   with 3 clicks of a simulated user (centre of the largest error region)
  (d)   today's GrabCut cutout with the box
Also: the first cutout in a fresh process (``segcore cutout``, model file in the cache).
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench_cutout import boundary_f, iou, people, simulated_clicks
from segcore.models.selfie import SelfieSegmenter
from segcore.portrait.cutout import cut, person_mask

MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"


def test_selfie_table(shared_data, tmp_path):
    general = MODELS / "selfie_segmentation.tflite"
    if not general.is_file():
        pytest.skip("../shared/models is absent")
    model = SelfieSegmenter(None, general)
    raw = SelfieSegmenter(None, general, flip=False, windows=False)
    rows = {k: {"iou": [], "bf": [], "s": []} for k in ("raw", "a", "b", "c", "d")}

    def record(key, rgb, truth, fn):
        mp = rgb.shape[0] * rgb.shape[1] / 1e6
        t = time.perf_counter()
        pred = fn()
        rows[key]["s"].append((time.perf_counter() - t) / mp)
        rows[key]["iou"].append(iou(pred, truth))
        rows[key]["bf"].append(boundary_f(pred, truth))
        return pred

    for stem, rgb, truth, box in people(shared_data):
        H, W = truth.shape
        record("raw", rgb, truth, lambda: cut(rgb, cv2.resize(raw.view_probability(rgb), (W, H)) >= 0.5).alpha >= 0.5)
        a = record("a", rgb, truth, lambda: cut(rgb, person_mask(rgb, "selfie", loaded=model)).alpha >= 0.5)
        record("b", rgb, truth, lambda: cut(rgb, person_mask(rgb, "selfie", box=box, loaded=model)).alpha >= 0.5)
        t0 = time.perf_counter()
        c, n = simulated_clicks(a, truth, lambda clicks: cut(rgb, person_mask(rgb, "selfie", points=clicks,
                                                                              loaded=model)).alpha >= 0.5)
        rows["c"]["s"].append((time.perf_counter() - t0) / (H * W / 1e6) / max(1, n))
        rows["c"]["iou"].append(iou(c, truth))
        rows["c"]["bf"].append(boundary_f(c, truth))
        record("d", rgb, truth, lambda: cut(rgb, person_mask(rgb, "grabcut", box=box)).alpha >= 0.5)

    names = {"raw": "raw model (stretched)", "a": "(a) selfie, no prompt", "b": "(b) selfie + box",
             "c": "(c) (a) + 3 clicks", "d": "(d) GrabCut cutout + box"}
    print(f"\n{'method':26} {'mean IoU':>9} {'median IoU':>11} {'boundary F':>11} {'s/MP median':>12}")
    for k, r in rows.items():
        print(f"{names[k]:26} {np.mean(r['iou']):9.4f} {np.median(r['iou']):11.4f} {np.mean(r['bf']):11.4f} "
              f"{statistics.median(r['s']):12.3f}")
    print("(c) seconds are per click round")

    # The first cutout in a fresh process, the model file in the cache folder.
    home = tmp_path / "torch"
    (home / "hub" / "checkpoints").mkdir(parents=True)
    shutil.copy(general, home / "hub" / "checkpoints" / general.name)
    env = dict(os.environ, TORCH_HOME=str(home), SEGCORE_OFFLINE="1")
    photo = next((shared_data / "people-40" / "images").glob("*.jpg"))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "segcore", "cutout", str(photo), "--out", str(tmp_path / "o.png")],
                       env=env, capture_output=True, text=True)
    first = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import segcore.portrait, segcore.models.zoo"], env=env, check=True)
    imports = time.perf_counter() - t
    print(f"first cutout in a fresh process: {first:.2f} s (of which importing segcore and torch: {imports:.2f} s)")
    assert r.returncode == 0, r.stderr
    assert np.mean(rows["a"]["iou"]) > np.mean(rows["raw"]["iou"])
