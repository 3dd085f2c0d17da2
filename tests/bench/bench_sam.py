"""SAM-family prompters: fidelity to the official SamPredictor, decoder and encoder times, NoC.

Run: python -m pytest -s tests/bench/bench_sam.py   (SEGCORE_BENCH_VITB=0 leaves ViT-B out)

1. Fidelity without published weights: random-weight MobileSAM and SAM ViT-B built with the
   official packages, saved under the official file names; on coco-24 photos, our ONNX
   pipeline's masks against the official ``SamPredictor``'s for one point, three points, a box,
   a box and a point (multimask true and false) and a second click fed the first's logits.
   Reported: the share of equal pixels, worst and mean per case (the issue asks >= 99.5%).
2. Decoder time per click, server side (``Prompter.predict``: the ONNX decoder, the upscaling
   to the photo and the threshold), median, at 1 MP and 12 MP, against the official
   predictor's ``predict`` in the same run as the baseline; encoder time per image, ours and
   the official one's; the wait of a click made right after ``prefetch``.
3. NoC with real weights, where ``SEGCORE_SAM_WEIGHTS`` names the files (``os.pathsep``-separated;
   ``name=path`` for a file not under its official name), skipped otherwise: the simulated user
   of bench_cutout on every coco-24 object, first click multimask, later clicks with the
   previous click's logits as ``mask_input``.
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

pytest.importorskip("segment_anything")
pytest.importorskip("mobile_sam")

from bench_cutout import next_click  # noqa: E402
from test_sam import (AGREEMENT, _compare, make_sam_checkpoint, official_predict,  # noqa: E402
                      official_predictor, prompt_cases)

from segcore.image import load  # noqa: E402
from segcore.models.prompters.prefetch import Prefetcher  # noqa: E402
from segcore.models.prompters.sam import load_sam  # noqa: E402
from segcore.models.registry import PROMPT, get, names  # noqa: E402
from segcore.models.weights import named_weights  # noqa: E402

SAM = names(PROMPT, family="sam")

MAX_CLICKS = 20
BUDGET_S = 0.15


def sam_weights_from_env() -> dict[str, Path]:
    """``{prompter name: checkpoint}`` from ``SEGCORE_SAM_WEIGHTS`` (empty where unset); a part
    that names no file stops the benchmark."""
    found, bad = named_weights()
    if bad:
        raise ValueError(f"SEGCORE_SAM_WEIGHTS: {bad[0]!r} is not NAME=FILE or an official file name "
                         f"({', '.join(get(n).published.file_name for n in SAM)})")
    return {n: p for n, p in found.items() if n in SAM}


def models() -> list[str]:
    return ["mobile_sam"] + ([] if os.environ.get("SEGCORE_BENCH_VITB", "1") == "0" else ["sam_vit_b"])


@pytest.fixture(scope="module")
def random_sams(tmp_path_factory):
    """``{name: (checkpoint, our prompter, official predictor, export seconds)}``."""
    out = {}
    for name in models():
        folder = tmp_path_factory.mktemp(name)
        path = make_sam_checkpoint(name, folder)
        t = time.perf_counter()
        prompter = load_sam(name, weights=path)
        out[name] = (path, prompter, official_predictor(name, path), time.perf_counter() - t)
    return out


def coco_photos(shared_data, n):
    files = sorted((shared_data / "coco-24" / "images").glob("*.jpg"))
    if not files:
        pytest.skip("no coco-24 photos")
    return [(f.stem, load(f)) for f in files[:n]]


def test_fidelity(shared_data, random_sams):
    print()
    for name, (_, prompter, predictor, export_s) in random_sams.items():
        photos = coco_photos(shared_data, 6 if name == "mobile_sam" else 3)
        per_case: dict = {}
        for _, rgb in photos:
            for key, share in _compare(prompter, predictor, rgb).items():
                per_case.setdefault(key, []).extend(share.tolist())
        print(f"{name} (random weights, first load with export {export_s:.1f} s), {len(photos)} coco-24 photos: "
              "share of pixels equal to SamPredictor's")
        for (case, multimask), shares in per_case.items():
            print(f"  {case:14} multimask={str(multimask):5}  worst {100 * min(shares):.4f}%  "
                  f"mean {100 * statistics.mean(shares):.4f}%  ({len(shares)} masks)")
        worst = min(min(s) for s in per_case.values())
        assert worst >= AGREEMENT, (name, worst)


def _median_time(fn, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def test_times(shared_data, random_sams):
    stem, photo = coco_photos(shared_data, 1)[0]
    load_before = os.getloadavg()[0]
    print(f"\nload average {load_before:.1f} on {os.cpu_count()} cores; photo {stem} resized")
    worst = {}
    for name, (_, prompter, predictor, _) in random_sams.items():
        rounds = 3 if name == "mobile_sam" else 2
        for label, size in (("1 MP", (866, 1155)), ("12 MP", (3000, 4000))):
            rgb = np.asarray(Image.fromarray(photo).resize(size[::-1], Image.BILINEAR))
            ours_enc = _median_time(lambda: prompter.set_image(rgb.copy()), rounds)
            predictor.set_image(rgb)
            H, W = rgb.shape[:2]
            pts = prompt_cases(H, W)["three points"][0]
            first = prompter.predict(pts[:1], multimask=True)
            med = {
                "first click (multimask)": _median_time(lambda: prompter.predict(pts[:1], multimask=True), 15),
                "next click (mask_input)": _median_time(
                    lambda: prompter.predict(pts[:2], mask_input=first.logits), 15),
                "box": _median_time(lambda: prompter.predict([], (W // 5, H // 6, W * 3 // 4, H * 9 // 10)), 15),
            }
            base = _median_time(lambda: official_predict(predictor, pts[:1], None, True), 5)
            line = f"{name} {label} ({W}x{H}): encoder ours {ours_enc:.2f} s"
            if label == "1 MP":   # the official encoder, once: its time hardly depends on the photo's size
                theirs_enc = _median_time(lambda: predictor.set_image(rgb), rounds)
                line += f", official {theirs_enc:.2f} s ({theirs_enc / ours_enc:.1f}x)"
            print(line + "; decoder per click, median:")
            for k, v in med.items():
                print(f"  {k:26} {1000 * v:6.1f} ms")
            print(f"  official predict, first click {1000 * base:6.1f} ms "
                  f"({base / med['first click (multimask)']:.1f}x ours)")
            worst[name, label] = max(med.values())
    load = max(load_before, os.getloadavg()[0])
    if load > os.cpu_count():
        # Other processes held the cores: the ratio to the official predictor stands, the
        # absolute budget cannot be judged.
        print(f"load average {load:.1f} > {os.cpu_count()} cores: the {BUDGET_S} s budget is not judged this run")
    else:
        assert max(worst.values()) <= BUDGET_S, worst


def test_a_click_right_after_opening_waits_for_the_encoding(random_sams):
    from conftest import textured_image

    _, prompter, _, _ = random_sams["mobile_sam"]
    a = textured_image(480, 640, seed=11)
    prompter.set_image(a)
    want = prompter.predict([(320, 240, True)], multimask=True).mask
    prompter.reset_image()
    pf = Prefetcher(prompter)
    t = time.perf_counter()
    pf.prefetch("a", a)
    waited = pf.set_image("a", a)
    got = prompter.predict([(320, 240, True)], multimask=True).mask
    answer = time.perf_counter() - t
    print(f"\nclick right after opening: answered after {answer:.2f} s (encoding {pf.seconds('a'):.2f} s), "
          f"waited={waited}")
    assert waited and np.array_equal(got, want)
    pf.close()


# -- NoC with the published weights --------------------------------------------------------
def coco_objects(root: Path):
    from pycocotools.coco import COCO

    folder = root / "coco-24"
    coco = COCO(str(folder / "annotations.json"))
    for img_id in sorted(coco.getImgIds()):
        info = coco.loadImgs(img_id)[0]
        rgb = load(folder / "images" / info["file_name"])
        masks = [coco.annToMask(a).astype(bool) for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id))
                 if not a.get("iscrowd")]
        yield info["file_name"], rgb, [m for m in masks if m.sum() >= 400]


def run_object(prompter, truth):
    """IoU after each simulated click (up to MAX_CLICKS; stops at 0.90 after 5, carried forward)."""
    clicks, ious, logits = [], [], None
    pred = np.zeros_like(truth)
    while len(ious) < MAX_CLICKS:
        click = next_click(pred, truth)
        if click is None:
            ious.append(1.0)
            break
        clicks.append(click)
        r = prompter.predict(clicks, mask_input=logits, multimask=len(clicks) == 1)
        pred, logits = r.mask, r.logits
        ious.append((pred & truth).sum() / max((pred | truth).sum(), 1))
        if len(ious) >= 5 and ious[-1] >= 0.90:
            break
    return ious + [ious[-1]] * (MAX_CLICKS - len(ious))


def noc(ious, thr):
    return next((k + 1 for k, v in enumerate(ious) if v >= thr), MAX_CLICKS)


@pytest.mark.parametrize("name", SAM)
def test_noc_with_published_weights(shared_data, name):
    weights = sam_weights_from_env()
    if name not in weights:
        pytest.skip(f"SEGCORE_SAM_WEIGHTS names no {get(name).published.file_name}")
    prompter = load_sam(name, weights=weights[name])
    runs = []
    for _, rgb, masks in coco_objects(shared_data):
        prompter.set_image(rgb)
        runs += [run_object(prompter, m) for m in masks]
    a = np.asarray(runs)
    print(f"\n{name} on coco-24, {len(a)} objects: NoC@85 {np.mean([noc(r, .85) for r in a]):.2f}  "
          f"NoC@90 {np.mean([noc(r, .90) for r in a]):.2f}  IoU@1 {a[:, 0].mean():.3f}  "
          f"IoU@3 {a[:, 2].mean():.3f}  IoU@5 {a[:, 4].mean():.3f}")
    assert a[:, 4].mean() > a[:, 0].mean()
