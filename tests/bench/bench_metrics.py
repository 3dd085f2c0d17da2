"""``eval`` against the seeds' approach on 100 VOC-size pairs.

Run: python -m pytest -s tests/bench/bench_metrics.py
The seeds computed sklearn's ``confusion_matrix`` per image and IoU in a per-class Python
loop over boolean masks. Both are timed in the same run; the speed ratio is reported.
"""

import statistics
import time

import numpy as np
from sklearn.metrics import confusion_matrix as sk_confusion

from segcore.metrics import evaluate


def pairs(n=100, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = rng.integers(0, 21, (375, 500)).astype(np.uint8)
        p = np.where(rng.random(t.shape) < 0.7, t, rng.integers(0, 21, t.shape)).astype(np.uint8)
        t[rng.random(t.shape) < 0.05] = 255
        out.append((t, p))
    return out


def seeds_way(data, n=21):
    cm = np.zeros((n, n), np.int64)
    ious = []
    for t, p in data:
        keep = t != 255
        cm += sk_confusion(t[keep].ravel(), p[keep].ravel(), labels=list(range(n)))
        for c in range(n):  # per-class loop over masks
            tc, pc = (t == c) & keep, (p == c) & keep
            union = (tc | pc).sum()
            if union:
                ious.append((tc & pc).sum() / union)
    tp = np.diag(cm)
    return cm, np.mean(tp / (cm.sum(0) + cm.sum(1) - tp))


def test_eval_speed_vs_seeds():
    data = pairs()
    ours, seeds = [], []
    for _ in range(3):
        t = time.perf_counter()
        total, _ = evaluate(data, 21)
        miou = total.miou()
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        cm, ref_miou = seeds_way(data)
        seeds.append(time.perf_counter() - t)
    np.testing.assert_array_equal(total.matrix, cm)
    assert abs(miou - ref_miou) < 1e-12
    ratio = statistics.median(seeds) / statistics.median(ours)
    print(f"\n100 pairs 500x375: ours {statistics.median(ours):.3f} s, seeds {statistics.median(seeds):.3f} s, "
          f"ours is {ratio:.1f}x faster")
    assert ratio > 1
