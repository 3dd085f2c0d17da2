"""The correction loop measured as the issue checks it, through gradio_client.

Run: python -m pytest -s tests/bench/bench_train_app.py   (about 12 minutes on 2 cores)

camvid-20 as a VOC root (11 classes, class 0 sky) in a temporary folder: its first ten scenes
set to the truth and marked reviewed, ``/train`` with a 10-minute budget (the panel's default
architecture, ``BENCH_MODEL`` to choose another), then ``/prelabel`` with the new model on the
other ten. Reported: their mIoU against the truth and the most-frequent-class baseline (the
class most frequent in the ten reviewed scenes, everywhere); whether the reviewed items were
left as they were; a click's round trip while the training runs against before it (clicks
on a second dataset served by the same process, so the training data stay untouched); and
the least-sure-first order: the mean pixel accuracy of its first five items against its last
five.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import numpy as np
import pytest
from gradio_client import Client

from camvid import CAMVID_CLASSES, camvid_voc, truth_of
from conftest import free_port, scene_dataset
from segcore import open_dataset
from segcore.dataset.prelabel import least_sure_first
from segcore.metrics import confusion_matrix

MINUTES = float(os.environ.get("BENCH_MINUTES", "10"))
MODEL = os.environ.get("BENCH_MODEL", "pspnet_resnet18")


def click_seconds(c, k: int) -> float:
    t = time.perf_counter()
    c.predict(x=100 + 7 * (k % 10), y=90, mode="add", class_name="car", api_name="/click_point")
    dt = time.perf_counter() - t
    c.predict(api_name="/undo")
    return dt


def test_train_in_the_app_then_prelabel(shared_data, tmp_path):
    from demo.app import build_demo

    root = camvid_voc(shared_data / "camvid-20", tmp_path / "camvid")
    ds = open_dataset(root)
    train_idx, eval_idx = list(range(10)), list(range(10, len(ds)))
    for i in train_idx:
        ds.write_labels(i, truth_of(root, ds.names[i]), status="reviewed")
    kept = {ds.names[i]: (root / "SegmentationClass" / f"{ds.names[i]}.png").read_bytes() for i in train_idx}

    apps = []
    urls = []
    for data in (root, scene_dataset(tmp_path / "clicks", n=2)):
        demo = build_demo(data).queue(default_concurrency_limit=4)
        port = free_port()
        demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
        apps.append(demo)
        urls.append(f"http://127.0.0.1:{port}/")
    try:
        c, clicker = Client(urls[0], verbose=False), Client(urls[1], verbose=False)
        clicker.predict("scene0.png", api_name="/open_item")
        for k in range(3):
            click_seconds(clicker, k)             # warm
        idle = [click_seconds(clicker, k) for k in range(10)]

        t0 = time.perf_counter()
        raw, _ = c.predict(model_name=MODEL, minutes=MINUTES, include=["reviewed"], epochs=0, held_out=0.1,
                           api_name="/train")
        name = json.loads(raw)["model"]
        busy, k = [], 0
        while True:
            st = json.loads(c.predict(api_name="/train_status"))
            if st["state"] != "running":
                break
            if st["epoch"] >= 1:                     # the child has read its items and runs
                busy.append(click_seconds(clicker, k))
                k += 1
            time.sleep(3)
        train_s = time.perf_counter() - t0
        assert st["state"] == "done", st

        t = time.perf_counter()
        c.predict(model_name=name, weights=None, scope="all unlabelled", api_name="/prelabel")
        prelabel_s = time.perf_counter() - t
    finally:
        for demo in apps:
            demo.close()

    ds = open_dataset(root)
    assert all(ds.status(i) == "reviewed" for i in train_idx)
    untouched = all((root / "SegmentationClass" / f"{n}.png").read_bytes() == b for n, b in kept.items())
    counts = sum(np.bincount(truth_of(root, ds.names[i]).ravel(), minlength=256) for i in train_idx)
    frequent = int(np.argmax(counts[:len(CAMVID_CLASSES)]))
    k = len(CAMVID_CLASSES)
    total = base = None
    accuracy = {}
    for i in eval_idx:
        assert ds.status(i) == "predicted" and ds.item_info(i)["model"] == name
        truth, pred = truth_of(root, ds.names[i]), ds.read_labels(i)
        cm = confusion_matrix(truth, pred, k, 255)
        cb = confusion_matrix(truth, np.full_like(truth, frequent), k, 255)
        total, base = (cm, cb) if total is None else (total + cm, base + cb)
        accuracy[i] = cm.pixel_accuracy()
    order = least_sure_first(ds, ("predicted",))
    first, last = [accuracy[i] for i in order[:5]], [accuracy[i] for i in order[-5:]]
    ratio = statistics.median(busy) / statistics.median(idle)
    print(f"\n{MODEL}, {MINUTES:g} min budget: trained {st['epoch']} epochs in {train_s / 60:.1f} min "
          f"(val mIoU best {st['best_miou']:.3f}), pre-labelled {len(eval_idx)} scenes in {prelabel_s:.1f} s")
    print(f"mIoU {total.miou():.4f} (pixel accuracy {total.pixel_accuracy():.4f}); most frequent class "
          f"({CAMVID_CLASSES[frequent]}) baseline {base.miou():.4f}; x{total.miou() / base.miou():.1f}")
    print(f"click round trip: idle median {statistics.median(idle) * 1000:.0f} ms, while training "
          f"{statistics.median(busy) * 1000:.0f} ms (p90 {np.percentile(busy, 90) * 1000:.0f} ms, {len(busy)} clicks): "
          f"ratio {ratio:.2f}")
    print(f"least sure first: mean pixel accuracy of the first five {np.mean(first):.4f}, "
          f"of the last five {np.mean(last):.4f}; reviewed items untouched: {untouched}")
    assert untouched
    assert total.miou() >= 0.25 and total.miou() >= 3 * base.miou()
    assert ratio <= 2.0
    assert np.mean(first) < np.mean(last)


if __name__ == "__main__":
    pytest.main(["-s", __file__])
