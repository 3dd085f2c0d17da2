"""SAM 2.1 prompters: fidelity to transformers' own pipeline, decoder and encoder times against
MobileSAM in the same run, and NoC where weights are named.

Run: python -m pytest -s tests/bench/bench_sam2.py   (SEGCORE_BENCH_SAM2_SMALL=0 leaves small out)

1. Fidelity without published weights: random-weight ``Sam2Model`` tiny and small built from
   the published configurations; on coco-24 photos, our ONNX pipeline's masks against
   transformers' ``Sam2Model`` + ``Sam2Processor`` (pre- and post-processing) for one point,
   three points, a box, a box and a point (multimask true and false) and a second click fed the
   first's logits. Reported: the share of equal pixels, worst and mean (the issue asks >= 99.9%).
2. Times: the decoder per click, server side (``Prompter.predict``: the ONNX decoder, the choice
   of mask, the upscaling to the photo, the threshold), median, at 1 MP; the encoder per image,
   ours (ONNX Runtime) and transformers' (torch); MobileSAM's (random weights, its official
   package) measured in the same run as the baseline. Budget: 0.1 s per click at 1 MP.
3. NoC with real weights, where ``SEGCORE_WEIGHTS`` names the files (``sam2.1_tiny=PATH``...),
   skipped otherwise: bench_sam's simulated user on every coco-24 object.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

pytest.importorskip("transformers")
pytest.importorskip("mobile_sam")

from test_sam import make_sam_checkpoint  # noqa: E402
from test_sam2 import AGREEMENT, Reference, compare, make_sam2_checkpoint, prompt_cases  # noqa: E402

from segcore.image import load as load_image  # noqa: E402
from segcore.models.registry import PROMPT, names  # noqa: E402
from segcore.models.resolve import load  # noqa: E402
from segcore.models.weights import named_weights  # noqa: E402

BUDGET_S = 0.10


def sizes() -> list[str]:
    return ["tiny"] + ([] if os.environ.get("SEGCORE_BENCH_SAM2_SMALL", "1") == "0" else ["small"])


@pytest.fixture(scope="module")
def random_models(tmp_path_factory):
    """``{name: (our prompter, reference or None, first load seconds)}``: SAM 2.1 sizes and MobileSAM."""
    out = {}
    for size in sizes():
        path, model = make_sam2_checkpoint(size, tmp_path_factory.mktemp(size))
        t = time.perf_counter()
        prompter = load(f"sam2.1_{size}", PROMPT, weights=path)
        out[f"sam2.1_{size}"] = (prompter, Reference(model), time.perf_counter() - t)
    path = make_sam_checkpoint("mobile_sam", tmp_path_factory.mktemp("mobile_sam"))
    t = time.perf_counter()
    out["mobile_sam"] = (load("mobile_sam", PROMPT, weights=path), None, time.perf_counter() - t)
    return out


def coco_photos(shared_data, n):
    files = sorted((shared_data / "coco-24" / "images").glob("*.jpg"))
    if not files:
        pytest.skip("no coco-24 photos")
    return [(f.stem, load_image(f)) for f in files[:: max(1, len(files) // n)][:n]]


def test_fidelity(shared_data, random_models):
    print()
    for name, (prompter, ref, load_s) in random_models.items():
        if ref is None:
            continue
        photos = coco_photos(shared_data, 6 if name == "sam2.1_tiny" else 3)
        per_case: dict = {}
        for _, rgb in photos:
            for key, share in compare(prompter, ref, rgb).items():
                per_case.setdefault(key, []).extend(share.tolist())
        print(f"{name} (random weights, first load with export {load_s:.1f} s), {len(photos)} coco-24 photos: "
              "share of pixels equal to transformers' Sam2Model + Sam2Processor")
        for (case, multimask), shares in per_case.items():
            print(f"  {case:14} multimask={str(multimask):5}  worst {100 * min(shares):.4f}%  "
                  f"mean {100 * statistics.mean(shares):.4f}%  ({len(shares)} masks)")
        assert min(min(s) for s in per_case.values()) >= AGREEMENT, name


def _median_time(fn, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def test_times_against_mobile_sam(shared_data, random_models):
    import torch

    stem, photo = coco_photos(shared_data, 1)[0]
    rgb = np.asarray(Image.fromarray(photo).resize((1155, 866), Image.BILINEAR))   # 1 MP
    H, W = rgb.shape[:2]
    pts = prompt_cases(H, W)["three points"][0]
    box = (W // 5, H // 6, W * 3 // 4, H * 9 // 10)
    load_before = os.getloadavg()[0]
    print(f"\nload average {load_before:.1f} on {os.cpu_count()} cores; photo {stem} resized to {W}x{H}")
    rows, worst = {}, {}
    for name, (prompter, ref, _) in random_models.items():
        enc = _median_time(lambda: prompter.set_image(rgb.copy()), 3)
        first = prompter.predict(pts[:1], multimask=True)
        med = {
            "first click (multimask)": _median_time(lambda: prompter.predict(pts[:1], multimask=True), 15),
            "next click (mask_input)": _median_time(lambda: prompter.predict(pts[:2], mask_input=first.logits), 15),
            "box": _median_time(lambda: prompter.predict([], box), 15),
        }
        line = f"{name}: encoder (ONNX Runtime) {enc:.2f} s"
        if ref is not None:
            pixels = ref.processor(images=rgb, return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                torch_enc = _median_time(lambda: ref.model.get_image_embeddings(pixels), 2)
            line += f", transformers' (torch) {torch_enc:.2f} s"
        print(line + "; decoder per click, median:")
        for k, v in med.items():
            print(f"  {k:26} {1000 * v:6.1f} ms")
        rows[name] = (enc, med["first click (multimask)"])
        worst[name] = max(med.values())
    base_enc, base_dec = rows["mobile_sam"]
    for name, (enc, dec) in rows.items():
        if name != "mobile_sam":
            print(f"{name} / MobileSAM: encoder {enc / base_enc:.2f}x, first click {dec / base_dec:.2f}x")
    load = max(load_before, os.getloadavg()[0])
    if load > os.cpu_count():
        print(f"load average {load:.1f} > {os.cpu_count()} cores: the {BUDGET_S} s budget is not judged this run")
    else:
        assert max(v for k, v in worst.items() if k != "mobile_sam") <= BUDGET_S, worst


@pytest.mark.parametrize("name", names(PROMPT, family="sam2"))
def test_noc_with_published_weights(shared_data, name):
    from bench_sam import coco_objects, noc, run_object

    weights = named_weights()[0]
    if name not in weights:
        pytest.skip(f"SEGCORE_WEIGHTS names no file for {name}")
    prompter = load(name, PROMPT, weights=weights[name])
    runs = []
    for _, rgb, masks in coco_objects(shared_data):
        prompter.set_image(rgb)
        runs += [run_object(prompter, m) for m in masks]
    a = np.asarray(runs)
    print(f"\n{name} on coco-24, {len(a)} objects: NoC@85 {np.mean([noc(r, .85) for r in a]):.2f}  "
          f"NoC@90 {np.mean([noc(r, .90) for r in a]):.2f}  IoU@1 {a[:, 0].mean():.3f}  "
          f"IoU@3 {a[:, 2].mean():.3f}  IoU@5 {a[:, 4].mean():.3f}")
