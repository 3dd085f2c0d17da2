"""ONNX Runtime against torch eager, and the batch pipeline against a plain loop.

Run: python -m pytest -s tests/bench/bench_onnx.py

1. End-to-end ``predict`` per image at VOC size (500x375 real photos), ONNX Runtime vs torch
   eager, random-init checkpoints with varied heads, in alternating blocks, medians and ratio.
2. Throughput (images/s) on 200 photos: ``predict_files`` (prefetching readers, batches,
   writes behind) vs a plain loop of load -> predict -> write, the same backend.
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import make_checkpoint  # noqa: E402
from segcore import load_image, load_model  # noqa: E402
from segcore.formats.voc import write_label_png  # noqa: E402
from segcore.models.batch import predict_files  # noqa: E402

ROUNDS = {"lraspp_mobilenet_v3_large": 9, "deeplabv3_mobilenet_v3_large": 7, "fcn_resnet50": 3}


def voc_photos(shared_data, folder: Path, n: int) -> list[Path]:
    src = sorted((shared_data / "people-40" / "images").glob("*.jpg")) + \
        sorted((shared_data / "camvid-20" / "images").glob("*.png"))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(n):
        rgb = load_image(src[k % len(src)])
        im = Image.fromarray(rgb).resize((500, 375) if k % 5 else (375, 500))
        p = folder / f"p{k:04d}.jpg"
        im.save(p, quality=90)
        out.append(p)
    return out


def test_onnx_vs_torch_end_to_end(shared_data, tmp_path):
    photos = [load_image(p) for p in voc_photos(shared_data, tmp_path / "ph", 6)]
    print()
    for name, rounds in ROUNDS.items():
        ckpt = make_checkpoint(name, tmp_path / f"{name}.pth")
        t = time.perf_counter()
        ort = load_model(name, weights=ckpt, backend="onnxruntime")
        export_s = time.perf_counter() - t
        eager = load_model(name, weights=ckpt, backend="torch")
        for m in (ort, eager):
            m.predict(photos[0])            # warm-up
        # Blocks of one backend at a time, twice each, the first call of a block left out: a
        # user runs one backend, and torch's idle thread pool slows whatever runs right after it.
        times = {"onnxruntime": [], "torch": []}
        labels = {"onnxruntime": [], "torch": []}
        for _ in range(2):
            for key, m in (("onnxruntime", ort), ("torch", eager)):
                m.predict(photos[-1])
                for r in range(rounds):
                    t = time.perf_counter()
                    seg = m.predict(photos[r % len(photos)])
                    times[key].append(time.perf_counter() - t)
                    labels[key].append(seg.labels)
        agree = [(a == b).mean() for a, b in zip(labels["onnxruntime"], labels["torch"])]
        o, e = statistics.median(times["onnxruntime"]), statistics.median(times["torch"])
        print(f"{name:30} predict median: torch {e * 1000:7.0f} ms, onnxruntime {o * 1000:7.0f} ms, "
              f"{e / o:4.2f}x; agreement min {min(agree) * 100:.3f}%; first export {export_s:.1f} s")
        assert min(agree) >= 0.999


def test_batch_throughput(shared_data, tmp_path):
    files = voc_photos(shared_data, tmp_path / "ph", 200)
    ckpt = make_checkpoint("lraspp_mobilenet_v3_large", tmp_path / "lraspp.pth")
    print()
    for backend in ("onnxruntime", "torch"):
        model = load_model("lraspp_mobilenet_v3_large", weights=ckpt, backend=backend)
        model.predict(load_image(files[0]))
        n = 200 if backend == "onnxruntime" else 60
        out_a, out_b = tmp_path / f"loop_{backend}", tmp_path / f"batch_{backend}"
        t = time.perf_counter()
        for p in files[:n]:
            seg = model.predict(load_image(p))
            write_label_png(out_a / f"{p.stem}.png", seg.labels, seg.label_set)
        loop = n / (time.perf_counter() - t)
        t = time.perf_counter()
        done = sum(1 for r in predict_files(model, files[:n], out_b) if r.error is None)
        batch = n / (time.perf_counter() - t)
        same = np.mean([(np.asarray(Image.open(out_a / f"{p.stem}.png")) ==
                         np.asarray(Image.open(out_b / f"{p.stem}.png"))).mean() for p in files[:n]])
        print(f"{backend:12} {n} photos: plain loop {loop:5.2f} images/s, batch pipeline {batch:5.2f} images/s, "
              f"{batch / loop:4.2f}x; same labels on {same * 100:.3f}% of pixels")
        assert done == n


def test_ray_overhead(shared_data, tmp_path):
    """The Ray Data path on a local instance against the local batch path: same files, time."""
    import ray

    from segcore.models.ray_predict import predict_with_ray

    files = voc_photos(shared_data, tmp_path / "ph", 60)
    ckpt = make_checkpoint("lraspp_mobilenet_v3_large", tmp_path / "lraspp.pth")
    model = load_model("lraspp_mobilenet_v3_large", weights=ckpt)
    model.predict(load_image(files[0]))
    t = time.perf_counter()
    list(predict_files(model, files, tmp_path / "local"))
    local = time.perf_counter() - t
    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    start = time.perf_counter() - t
    try:
        t = time.perf_counter()
        n, failed = predict_with_ray(files, tmp_path / "ray", model="lraspp_mobilenet_v3_large", weights=ckpt)
        on_ray = time.perf_counter() - t
    finally:
        ray.shutdown()
    same = all((np.asarray(Image.open(tmp_path / "local" / f"{p.stem}.png")) ==
                np.asarray(Image.open(tmp_path / "ray" / f"{p.stem}.png"))).all() for p in files)
    print(f"\n60 photos: local batch path {local:.1f} s, Ray Data on a local 2-CPU instance {on_ray:.1f} s "
          f"({on_ray / local:.2f}x, plus {start:.1f} s to start Ray); identical files: {same}")
    assert n == 60 and not failed and same
