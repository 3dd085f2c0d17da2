"""Pipeline overhead and memory of ``predict``. Run: python -m pytest -s tests/bench/bench_predict.py

* overhead: median time of ``model.predict(image)`` against the bare ``net(x)`` forward on the
  same input at 520 (goal: at most 1.15x), measured interleaved in one run;
* memory: peak RSS of ``segcore predict`` on a 6000x4000 photo, in a fresh process, against
  the same process on a 500x375 photo (goal: near 2 GB or less).
"""

import statistics
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import textured_image
from segcore.models.registry import load_model

MODELS = ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", "fcn_resnet50"]


@pytest.mark.parametrize("name", MODELS)
def test_predict_overhead_vs_forward(name, checkpoints):
    torch.set_num_threads(2)
    model = load_model(name, weights=checkpoints(name))
    rgb = textured_image(375, 500, seed=1)  # a VOC-size photo: 520x693 at the model
    x = model.preprocess(rgb)
    repeats = 7 if name == "fcn_resnet50" else 15
    fwd, pred = [], []
    with torch.inference_mode():
        model.net(x)
        model.predict(rgb)
        for _ in range(repeats):  # interleaved, so drifts in machine speed hit both
            t = time.perf_counter()
            model.net(x)
            fwd.append(time.perf_counter() - t)
            t = time.perf_counter()
            model.predict(rgb)
            pred.append(time.perf_counter() - t)
    ratio = statistics.median(pred) / statistics.median(fwd)
    print(f"\n{name}: forward median {statistics.median(fwd) * 1e3:.1f} ms, predict median "
          f"{statistics.median(pred) * 1e3:.1f} ms, ratio {ratio:.3f}")
    assert ratio <= 1.15


PEAK = """
import resource, sys
from segcore.cli import main
rc = main(sys.argv[1:])
print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
raise SystemExit(rc)
"""


def _peak(args):
    r = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.split("PEAK_KB")[1].split()[0]) / 1024


@pytest.mark.parametrize("name", ["lraspp_mobilenet_v3_large", "fcn_resnet50"])
def test_peak_memory_24mp(name, checkpoints, tmp_path):
    big = tmp_path / "big.jpg"
    small = tmp_path / "small.jpg"
    Image.fromarray(textured_image(4000, 6000, seed=2)).save(big, quality=90)
    Image.fromarray(textured_image(375, 500, seed=2)).save(small, quality=90)
    args = ["--model", name, "--weights", str(checkpoints(name)), "--out", str(tmp_path / "o")]
    t = time.perf_counter()
    base = _peak(["predict", str(small), *args])
    t_small = time.perf_counter() - t
    t = time.perf_counter()
    peak = _peak(["predict", str(big), *args])
    t_big = time.perf_counter() - t
    assert np.asarray(Image.open(tmp_path / "o" / "big.png")).shape == (4000, 6000)
    print(f"\n{name}: peak RSS 6000x4000 {peak:.0f} MiB (500x375: {base:.0f} MiB); "
          f"wall {t_big:.1f} s vs {t_small:.1f} s")
    assert peak < 2200
