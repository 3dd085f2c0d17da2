"""SAM 3 concepts at full size (840 M parameters, random weights built from the published
configuration: time and memory do not depend on the weight values), on camvid-20 photos.

Run (about 10 minutes on 2 cores; once, on a quiet machine: check ``uptime``):
    python -m pytest -s tests/bench/bench_sam3.py

Reports, as medians:
  encode        seconds to encode one photo (``set_image``: the vision encoder at 1008 px)
  first class   seconds for the first class of a photo (its text read, then the detector)
  extra class   seconds for each further class on the cached photo features
  per image     encode + one class: one photo, one prompt, end to end
  peak memory   the process's peak resident memory (after the photos, after the pre-label) and
                what it gained over what it held before building SAM 3
  pre-label     a camvid-20 VOC root pre-labelled with its 11 classes: images per minute
The baseline, measured in the same run, is a fixed torch workload (ten 2048x2048 float32
matrix products): every time is also given as a multiple of it, which travels between loads
and machines better than seconds do.
"""

from __future__ import annotations

import os
import resource
import statistics
import time

import numpy as np
import pytest

pytest.importorskip("transformers")

PROMPTS = ("car", "road", "person", "tree", "building")
N_PHOTOS = int(os.environ.get("SAM3_BENCH_PHOTOS", "2"))
N_PRELABEL = int(os.environ.get("SAM3_BENCH_PRELABEL", "3"))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline() -> float:
    """Seconds for ten 2048x2048 float32 matrix products (median of 3)."""
    import torch

    a = torch.randn(2048, 2048)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(10):
            a @ a
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def test_sam3_full_size(shared_data, tmp_path):
    import torch
    from transformers import Sam3Config, Sam3Model

    from camvid import camvid_voc
    from segcore import open_dataset
    from segcore.dataset.prelabel_concepts import prelabel_concepts
    from segcore.image import load
    from segcore.models.sam3 import ConceptModel, offline_processor

    load_before = os.getloadavg()
    base = _baseline()
    rss0, peak0 = _rss_mb(), _peak_mb()
    t = time.perf_counter()
    torch.manual_seed(0)
    net = Sam3Model(Sam3Config()).eval()
    build_s = time.perf_counter() - t
    n_params = sum(p.numel() for p in net.parameters())
    cm = ConceptModel(net, offline_processor(Sam3Config().vision_config.backbone_config.image_size))

    photos = sorted((shared_data / "camvid-20" / "images").glob("*.png"))
    encode, first, extra = [], [], []
    for k, path in enumerate(photos[:N_PHOTOS]):
        rgb = load(path)
        t = time.perf_counter()
        cm.set_image(rgb)
        encode.append(time.perf_counter() - t)
        for j, text in enumerate(PROMPTS):
            text = f"{text} {k}"          # a prompt not read before: each photo pays for its texts
            t = time.perf_counter()
            cm.find(text, 0.5)
            (first if j == 0 else extra).append(time.perf_counter() - t)
    peak = _peak_mb()

    root = camvid_voc(shared_data / "camvid-20", tmp_path / "voc")
    for f in sorted((root / "JPEGImages").iterdir())[N_PRELABEL:]:
        f.unlink()
    ds = open_dataset(root)
    n_classes = len(ds.label_set)
    t = time.perf_counter()
    steps = list(prelabel_concepts(ds, ConceptModel(net, cm.processor), threshold=0.5))
    prelabel_s = time.perf_counter() - t
    peak_all = _peak_mb()
    assert [s.outcome for s in steps] == ["predicted"] * N_PRELABEL
    load_after = os.getloadavg()

    med = statistics.median
    rows = [("encode (1008 px)", med(encode)), ("first class", med(first)), ("extra class", med(extra)),
            ("per image (encode + 1 class)", med(encode) + med(first)),
            (f"pre-label, per image at {n_classes} classes", prelabel_s / N_PRELABEL)]
    print(f"\nSAM 3, random weights from the published config: {n_params / 1e6:.0f} M parameters, built in "
          f"{build_s:.1f} s; torch threads {torch.get_num_threads()}; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}")
    print(f"baseline (ten 2048^2 matmuls): {base:.3f} s")
    print(f"{'':40s} {'seconds':>9s} {'x baseline':>11s}")
    for name, s in rows:
        print(f"{name:40s} {s:9.2f} {s / base:11.1f}")
    print(f"extra class / encode: {med(extra) / med(encode):.3f}")
    print(f"peak memory: {peak:.0f} MB after the photos, {peak_all:.0f} MB after the pre-label "
          f"({peak - max(rss0, peak0):.0f} MB over the {rss0:.0f} MB held before building)")
    print(f"pre-label throughput: {60 * N_PRELABEL / prelabel_s:.2f} images per minute at {n_classes} classes "
          f"({N_PRELABEL} camvid-20 images, 480x360)")
    assert n_params > 800e6 and np.isfinite(prelabel_s)
