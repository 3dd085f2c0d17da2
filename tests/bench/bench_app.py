"""Server-side time of the app's apply_edit on a 1 MP image (goal: median under 100 ms).

Run: python -m pytest -s tests/bench/bench_app.py
Timed: the whole handler (layer to labels, history, overlay, legend, editor value), against
the bare layer-to-labels conversion in the same run.
"""

import statistics
import time

import numpy as np

from demo import handlers as h
from segcore import edit
from segcore.labels import LabelSet
from segcore.segmentation import Segmentation


def test_apply_edit_1mp():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (1000, 1000, 3), np.uint8)
    labels = np.zeros((1000, 1000), np.uint8)
    labels[100:700, 200:800] = 15
    seg = Segmentation(labels, LabelSet.voc())
    session = h.Session(rgb, "big", "test", seg, edit.History(seg))
    layer = edit.mask_layer(seg)
    layer[750:800, 100:900] = (128, 0, 0, 140)   # a stroke of aeroplane
    layer[300:320, 300:500, 3] = 0               # an erased band
    value = {"background": None, "layers": [layer], "composite": None}
    h.apply_edit(value, "background", session)
    full, core = [], []
    for _ in range(15):
        t = time.perf_counter()
        h.apply_edit(value, "background", session)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        edit.layer_to_labels(layer, seg)
        core.append(time.perf_counter() - t)
    med = statistics.median(full) * 1e3
    print(f"\napply_edit 1 MP: median {med:.1f} ms (layer to labels alone {statistics.median(core) * 1e3:.1f} ms)")
    assert med < 100
