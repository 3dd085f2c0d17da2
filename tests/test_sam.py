"""SAM-family prompters on ONNX Runtime against the official ``SamPredictor``.

No published weights here: random-weight MobileSAM built with the official package and saved
under the official file name. (ViT-B, 360 MB random, is compared in tests/bench/bench_sam.py.)
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import SHARED_DATA, run_cli, textured_image

pytest.importorskip("segment_anything")
pytest.importorskip("mobile_sam")

from segcore.errors import PromptError, WeightsError  # noqa: E402
from segcore.image import load as load_image  # noqa: E402
from segcore.models.prompters import list_prompters, load_prompter  # noqa: E402
from segcore.models.prompters.sam import SamEmbedding, load_sam  # noqa: E402
from segcore.models.registry import PROMPT, get, names  # noqa: E402
from segcore.models.weights import checkpoint_dir, git_blob_sha1  # noqa: E402

ARCH = {"mobile_sam": "vit_t", "sam_vit_b": "vit_b", "sam_vit_l": "vit_l", "sam_vit_h": "vit_h"}
SAM = names(PROMPT, family="sam")
AGREEMENT = 0.995


# -- helpers the benchmark shares ------------------------------------------------------------
def make_sam_checkpoint(name: str, folder: Path, seed: int = 0) -> Path:
    """A random-weight checkpoint of ``name`` built by the official package, under its official
    file name in ``folder``."""
    import torch

    if name == "mobile_sam":
        from mobile_sam import sam_model_registry
    else:
        from segment_anything import sam_model_registry
    torch.manual_seed(seed)
    sam = sam_model_registry[ARCH[name]]()
    path = Path(folder) / get(name).published.file_name
    torch.save(sam.state_dict(), path)
    return path


def official_predictor(name: str, path: Path):
    """The official ``SamPredictor`` (MobileSAM's own for ``mobile_sam``) over ``path``."""
    import torch

    if name == "mobile_sam":
        from mobile_sam import SamPredictor, sam_model_registry
    else:
        from segment_anything import SamPredictor, sam_model_registry
    sam = sam_model_registry[ARCH[name]]()
    sam.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return SamPredictor(sam.eval())


def prompt_cases(H: int, W: int) -> dict:
    """One point, three points, a box, a box and a point: ``{name: (points, box)}`` in pixels."""
    def p(fx, fy, positive=True):
        return (int(fx * (W - 1)), int(fy * (H - 1)), positive)

    box = (int(0.2 * W), int(0.15 * H), int(0.75 * W), int(0.9 * H))
    return {"one point": ([p(0.5, 0.45)], None),
            "three points": ([p(0.5, 0.45), p(0.3, 0.65), p(0.8, 0.2, False)], None),
            "box": ([], box),
            "box + point": ([p(0.45, 0.5)], box)}


def official_predict(predictor, points, box, multimask, mask_input=None):
    kw = {}
    if points:
        kw["point_coords"] = np.array([(x, y) for x, y, _ in points], float)
        kw["point_labels"] = np.array([int(v) for _, _, v in points])
    if box is not None:   # segcore's x1 / y1 are exclusive; SAM's corners are pixel centres
        kw["box"] = np.array([box[0], box[1], box[2] - 1, box[3] - 1], float)
    if mask_input is not None:
        kw["mask_input"] = mask_input[None]
    return predictor.predict(multimask_output=multimask, **kw)


def agreement(ours, prompter_result_multimask, theirs) -> np.ndarray:
    """Per-mask share of equal pixels: ``ours`` a PromptResult, ``theirs`` ``(C, H, W)`` bool."""
    masks = ours.masks if prompter_result_multimask else ours.mask[None]
    assert masks.shape == theirs.shape
    return (masks == theirs).mean(axis=(1, 2))


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mobile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mobile_sam")
    path = make_sam_checkpoint("mobile_sam", folder)
    return path, load_sam("mobile_sam", weights=path), official_predictor("mobile_sam", path)


# -- fidelity -----------------------------------------------------------------------------
def _compare(prompter, predictor, rgb):
    prompter.set_image(rgb)
    predictor.set_image(rgb)
    H, W = rgb.shape[:2]
    shares = {}
    for case, (points, box) in prompt_cases(H, W).items():
        for multimask in (False, True):
            ours = prompter.predict(points, box, multimask=multimask)
            masks, scores, logits = official_predict(predictor, points, box, multimask)
            shares[case, multimask] = agreement(ours, multimask, masks)
            assert np.allclose(ours.scores if multimask else [ours.score], scores, atol=1e-3), case
            # Random weights must still give masks worth comparing: neither empty nor everything.
            assert 0.005 < masks.mean() < 0.995, (case, masks.mean())
    # The second click of a run: the first's low-resolution logits fed back as mask_input.
    points, _ = prompt_cases(H, W)["three points"]
    first = prompter.predict(points[:1], multimask=True)
    masks, scores, logits = official_predict(predictor, points[:1], None, True)
    assert np.abs(first.logits - logits[int(np.argmax(scores))]).max() < 1e-2
    ours = prompter.predict(points[:2], mask_input=first.logits)
    masks, _, _ = official_predict(predictor, points[:2], None, False, logits[int(np.argmax(scores))])
    shares["mask_input", False] = agreement(ours, False, masks)
    # The prompts must matter, or equal masks would prove nothing.
    one = prompter.predict(*prompt_cases(H, W)["one point"]).mask
    box = prompter.predict(*prompt_cases(H, W)["box"]).mask
    assert (one != box).mean() > 0.01
    return shares


def test_mobile_sam_masks_equal_sam_predictor(mobile):
    """On a real photo (coco-24, portrait orientation) where present, else a small synthetic one;
    the benchmark runs more photos and ViT-B."""
    _, prompter, predictor = mobile
    files = sorted((SHARED_DATA / "coco-24" / "images").glob("*.jpg"))
    rgb = load_image(files[0]) if files else textured_image(90, 140, seed=3)
    shares = _compare(prompter, predictor, rgb)
    worst = min(float(s.min()) for s in shares.values())
    assert worst >= AGREEMENT, {k: v.round(4).tolist() for k, v in shares.items()}


def test_first_click_with_multimask_takes_the_best_predicted_iou(mobile):
    _, prompter, _ = mobile
    rgb = textured_image(80, 60, seed=5)
    prompter.set_image(rgb)
    r = prompter.predict([(30, 40, True)], multimask=True)
    assert r.masks.shape == (3, 80, 60) and r.scores.shape == (3,)
    best = int(np.argmax(r.scores))
    assert r.score == pytest.approx(float(r.scores[best])) and np.array_equal(r.mask, r.masks[best])
    assert r.logits.shape == (256, 256) and r.logits.dtype == np.float32
    single = prompter.predict([(30, 40, True)], multimask=False)
    assert single.masks is None and single.mask.shape == (80, 60) and single.mask.dtype == bool


def test_embedding_reused_and_checked(mobile):
    _, prompter, _ = mobile
    a, b = textured_image(70, 90, seed=1), textured_image(90, 70, seed=2)
    emb = prompter.encode(a)
    assert isinstance(emb, SamEmbedding) and emb.features.shape == (1, 256, 64, 64)
    assert emb.original_size == (70, 90) and emb.input_size == (796, 1024)
    prompter.set_image(a)
    direct = prompter.predict([(40, 30, True)]).mask
    prompter.set_embedding(a, emb)
    assert np.array_equal(prompter.predict([(40, 30, True)]).mask, direct)
    with pytest.raises(PromptError, match="another image"):
        prompter.set_embedding(b, emb)


def test_sam_through_the_prefetcher_gives_set_images_masks(mobile):
    from segcore.models.prompters.prefetch import Prefetcher

    _, prompter, _ = mobile
    a, b = textured_image(60, 90, seed=1), textured_image(90, 60, seed=2)
    prompter.set_image(a)
    want_a = prompter.predict([(45, 30, True)], multimask=True).mask
    prompter.set_image(b)
    want_b = prompter.predict([(30, 45, True)], multimask=True).mask
    pf = Prefetcher(prompter)
    pf.prefetch("a", a)
    pf.prefetch("b", b)
    pf.set_image("a", a)
    assert np.array_equal(prompter.predict([(45, 30, True)], multimask=True).mask, want_a)
    pf.set_image("b", b)
    assert np.array_equal(prompter.predict([(30, 45, True)], multimask=True).mask, want_b)
    assert pf.seconds("a") > 0
    pf.close()


# -- the ONNX cache -----------------------------------------------------------------------
def test_onnx_files_cached_by_the_checkpoint_and_rebuilt_when_damaged(mobile):
    path, prompter, _ = mobile
    from segcore.models.prompters import sam as sam_module

    # One engine per weights' content in a process: another module's test may have made these
    # bytes first, elsewhere. Loaded afresh, the files are beside this checkpoint.
    sam_module._engines.clear()
    enc, dec = load_sam("mobile_sam", weights=path)._engine.paths
    assert enc.parent == path.parent and dec.parent == path.parent
    assert enc.name.startswith("mobile_sam.") and enc.name.endswith(".encoder.onnx")
    stamp = dec.stat().st_mtime_ns
    sam_module._engines.clear()
    again = load_sam("mobile_sam", weights=path)           # the cache is used: nothing exported
    assert again._engine.paths == (enc, dec) and dec.stat().st_mtime_ns == stamp
    dec.write_bytes(dec.read_bytes()[:-10])                 # a damaged cache file is never run
    sam_module._engines.clear()
    rebuilt = load_sam("mobile_sam", weights=path)
    assert rebuilt._engine.paths[1] == dec and dec.stat().st_mtime_ns != stamp
    rgb = textured_image(50, 50, seed=4)
    prompter.set_image(rgb)
    rebuilt.set_image(rgb)
    assert np.array_equal(prompter.predict([(25, 25, True)]).mask, rebuilt.predict([(25, 25, True)]).mask)


def test_an_encoder_over_2_gb_keeps_its_tensors_in_one_data_file(mobile, tmp_path):
    """ViT-H's path (2.5 GB of tensors, over protobuf's limit), on MobileSAM's encoder: one
    .data file beside the .onnx, read back by ONNX Runtime to the same embedding."""
    import shutil

    import onnxruntime as ort

    from segcore.models.prompters.sam_export import gather_external_data

    _, prompter, _ = mobile
    enc = prompter._engine.paths[0]
    (tmp_path / "raw").mkdir()
    raw = tmp_path / "raw" / "encoder.onnx"
    shutil.copy(enc, raw)
    out = tmp_path / "big.encoder.onnx"
    data = gather_external_data(raw, out)
    assert data["file"] == "big.encoder.onnx.data" and (tmp_path / data["file"]).stat().st_size == data["size"]
    assert out.stat().st_size < 5 << 20 and not list(tmp_path.glob(".export.*"))
    x = np.random.default_rng(0).standard_normal((1, 3, 1024, 1024)).astype(np.float32)
    want = prompter._engine.encoder.run(None, {"image": x})[0]
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    assert np.array_equal(got, want)


# -- weights ------------------------------------------------------------------------------
def test_registry_lists_the_sam_prompters():
    assert SAM == ["mobile_sam", "sam_vit_b", "sam_vit_l", "sam_vit_h"]
    for name in SAM:
        spec = get(name)
        assert name in list_prompters() and spec.can == {"prompt"} and spec.needs_weights
        assert spec.published.check[0] in ("git-blob-sha1", "sha256-prefix")
    assert get("sam_vit_b").published.file_name == "sam_vit_b_01ec64.pth"
    assert get("sam_vit_b").published.url.endswith("/sam_vit_b_01ec64.pth")


def test_offline_without_weights_says_which_file_to_put_where_within_seconds():
    t = time.perf_counter()
    for name in SAM:
        with pytest.raises(WeightsError) as e:
            load_prompter(name)
        msg = str(e.value)
        assert get(name).published.file_name in msg and str(checkpoint_dir()) in msg and "offline" in msg and "\n" not in msg
    assert time.perf_counter() - t < 3


def test_git_blob_id_is_gits(tmp_path):
    f = tmp_path / "blob.bin"
    f.write_bytes(bytes(range(256)) * 37)
    try:
        want = subprocess.run(["git", "hash-object", str(f)], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not here")
    assert git_blob_sha1(f) == want


def test_a_cached_file_that_is_not_the_published_one_is_refused(mobile):
    path, _, _ = mobile
    cached = checkpoint_dir() / "mobile_sam.pt"
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(path.read_bytes())      # random weights under the official name
    try:
        with pytest.raises(WeightsError, match="not the published mobile_sam.pt.*git blob id"):
            load_prompter("mobile_sam")
        assert cached.is_file()                # the user's file is refused, never deleted
        assert load_prompter("mobile_sam", weights=cached).name == "mobile_sam"   # named: theirs
    finally:
        cached.unlink()


# -- CLI ----------------------------------------------------------------------------------
def test_cli_prompt_writes_the_mask(mobile, tmp_path):
    path, prompter, _ = mobile
    rgb = textured_image(60, 80, seed=7)
    img = tmp_path / "photo.png"
    Image.fromarray(rgb).save(img)
    out = tmp_path / "mask.png"
    r = run_cli("prompt", str(img), "--points", "40,30,1;10,10,0", "--box", "5,5,70,55",
                "--prompter", "mobile_sam", "--weights", str(path), "--out", str(out))
    assert r.returncode == 0, r.stderr
    got = np.array(Image.open(out)) > 0
    prompter.set_image(rgb)
    assert np.array_equal(got, prompter.predict([(40, 30, True), (10, 10, False)], (5, 5, 70, 55)).mask)


def test_cli_prompt_offline_without_weights(tmp_path):
    img = tmp_path / "photo.png"
    Image.fromarray(textured_image(40, 50)).save(img)
    r = run_cli("prompt", str(img), "--points", "20,20,1", "--prompter", "sam_vit_b", "--offline",
                "--out", str(tmp_path / "m.png"))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "sam_vit_b_01ec64.pth" in r.stderr
    r = run_cli("prompt", str(img), "--box", "5,5,40,35", "--offline", "--out", str(tmp_path / "m.png"))
    assert r.returncode == 0, r.stderr
    assert "grabcut" in r.stderr.lower() and "mobile_sam.pt" in r.stderr and (tmp_path / "m.png").is_file()
    r = run_cli("prompt", str(img), "--points", "99,20,1", "--prompter", "grabcut", "--out", str(tmp_path / "m.png"))
    assert r.returncode == 1 and "off the 50x40 image" in r.stderr


def test_cli_models_lists_the_prompters():
    r = run_cli("models", "--can", "prompt")
    assert r.returncode == 0, r.stderr
    rows = {ln.split()[0]: ln for ln in r.stdout.splitlines()[1:] if ln.strip() and not ln.startswith("weights")}
    assert set(SAM) | {"grabcut", "selfie"} <= set(rows) and "fcn_resnet50" not in rows
    assert "ready" in rows["grabcut"] and "segment,prompt" in rows["grabcut"]
    assert "sam_vit_h_4b8939.pth" in rows["sam_vit_h"] and "MISSING" in rows["sam_vit_h"]


def test_cli_cutout_takes_a_prompter(tmp_path):
    import cv2

    rgb = np.full((90, 120, 3), 40, np.uint8)
    cv2.circle(rgb, (60, 45), 25, (230, 200, 60), -1)
    img = tmp_path / "photo.png"
    Image.fromarray(rgb).save(img)
    out = tmp_path / "cut.png"
    r = run_cli("cutout", str(img), "--prompter", "grabcut", "--box", "20,10,100,80", "--out", str(out))
    assert r.returncode == 0, r.stderr
    alpha = np.array(Image.open(out))[..., 3]
    assert alpha.shape == (90, 120) and alpha[45, 60] > 200 and alpha[5, 5] == 0 and alpha[45, 100] < 30
