"""SAM 2.1 prompters on ONNX Runtime against the reference: transformers' own ``Sam2Model`` and
``Sam2Processor`` (pre- and post-processing), with random weights built from the published
configurations (no weights can be downloaded here), on coco-24 photos.

tiny runs by default; small (and more photos) is ``slow``; tests/bench/bench_sam2.py times them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_DATA, textured_image

pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")

from segcore.errors import PromptError, WeightsError  # noqa: E402
from segcore.image import load as load_image  # noqa: E402
from segcore.models.registry import PROMPT, get  # noqa: E402
from segcore.models.resolve import load  # noqa: E402

AGREEMENT = 0.999


def make_sam2_checkpoint(size: str, folder: Path, seed: int = 0) -> tuple[Path, object]:
    """``(file, model)``: a random-weight ``Sam2Model`` of the published configuration, saved as
    safetensors under the registry's file name in ``folder``."""
    import torch
    from safetensors.torch import save_file

    from segcore.models.prompters.sam2_export import build_config
    from transformers import Sam2Model

    torch.manual_seed(seed)
    model = Sam2Model(build_config(size)).eval()
    path = Path(folder) / get(f"sam2.1_{size}").published.file_name
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path, model


class Reference:
    """transformers' own pipeline: ``Sam2Processor`` in, ``Sam2Model`` (on a cached image
    embedding, as ``forward`` takes it), ``post_process_masks`` out."""

    def __init__(self, model):
        from transformers import Sam2ImageProcessor, Sam2Processor

        self.model, self.processor = model, Sam2Processor(image_processor=Sam2ImageProcessor())
        self.rgb = self.embedding = None

    def set_image(self, rgb):
        import torch

        self.rgb = rgb
        with torch.no_grad():
            self.embedding = self.model.get_image_embeddings(self.processor(images=rgb, return_tensors="pt")["pixel_values"])

    def predict(self, points, box, multimask, mask_input=None):
        """``(masks (C, H, W) bool, scores (C,), low-res logits (C, 256, 256))``."""
        import torch

        kw = {}
        if points:
            kw["input_points"] = [[[[x, y] for x, y, _ in points]]]
            kw["input_labels"] = [[[int(v) for _, _, v in points]]]
        if box is not None:   # segcore's x1 / y1 are exclusive; SAM's corners are pixel centres
            kw["input_boxes"] = [[[box[0], box[1], box[2] - 1, box[3] - 1]]]
        inputs = self.processor(images=self.rgb, return_tensors="pt", **kw)
        sizes = inputs.pop("original_sizes")
        inputs.pop("pixel_values")
        if mask_input is not None:
            inputs["input_masks"] = torch.from_numpy(np.asarray(mask_input, np.float32))[None, None]
        with torch.no_grad():
            out = self.model(image_embeddings=self.embedding, multimask_output=multimask, **inputs)
        masks = self.processor.post_process_masks(out.pred_masks, sizes)[0][0].numpy()
        return masks, out.iou_scores[0, 0].numpy(), out.pred_masks[0, 0].numpy()


def prompt_cases(H: int, W: int) -> dict:
    """One point, three points, a box, a box and a point: ``{name: (points, box)}`` in pixels."""
    def p(fx, fy, positive=True):
        return (int(fx * (W - 1)), int(fy * (H - 1)), positive)

    box = (int(0.2 * W), int(0.15 * H), int(0.75 * W), int(0.9 * H))
    return {"one point": ([p(0.5, 0.45)], None),
            "three points": ([p(0.5, 0.45), p(0.3, 0.65), p(0.8, 0.2, False)], None),
            "box": ([], box),
            "box + point": ([p(0.45, 0.5)], box)}


def photos(n: int):
    files = sorted((SHARED_DATA / "coco-24" / "images").glob("*.jpg"))
    if not files:
        return [textured_image(90, 140, seed=3), textured_image(120, 80, seed=4)][:n]
    return [load_image(f) for f in files[:: max(1, len(files) // n)][:n]]


def compare(prompter, ref, rgb) -> dict:
    """Per prompt kind and multimask: the share of equal pixels of every mask; scores checked."""
    prompter.set_image(rgb)
    ref.set_image(rgb)
    H, W = rgb.shape[:2]
    shares = {}
    for case, (points, box) in prompt_cases(H, W).items():
        for multimask in (False, True):
            ours = prompter.predict(points, box, multimask=multimask)
            masks, scores, _ = ref.predict(points, box, multimask)
            got = ours.masks if multimask else ours.mask[None]
            assert got.shape == masks.shape
            shares[case, multimask] = (got == masks).mean(axis=(1, 2))
            assert np.allclose(ours.scores if multimask else [ours.score], scores, atol=1e-3), case
            # random weights must still give masks worth comparing: neither empty nor everything
            assert 0.005 < masks.mean() < 0.995, (case, masks.mean())
    # the second click of a run: the first's low-resolution logits fed back as the mask input
    points, _ = prompt_cases(H, W)["three points"]
    first = prompter.predict(points[:1], multimask=True)
    masks, scores, logits = ref.predict(points[:1], None, True)
    assert np.abs(first.logits - logits[int(np.argmax(scores))]).max() < 1e-2
    ours = prompter.predict(points[:2], mask_input=first.logits)
    masks, _, _ = ref.predict(points[:2], None, False, mask_input=logits[int(np.argmax(scores))])
    shares["mask_input", False] = (ours.mask[None] == masks).mean(axis=(1, 2))
    # the prompts must matter, or equal masks would prove nothing
    assert (prompter.predict(*prompt_cases(H, W)["one point"]).mask
            != prompter.predict(*prompt_cases(H, W)["box"]).mask).mean() > 0.01
    return shares


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path, model = make_sam2_checkpoint("tiny", tmp_path_factory.mktemp("sam2_tiny"))
    return path, load("sam2.1_tiny", PROMPT, weights=path), Reference(model)


def _check(prompter, ref, n):
    worst = {}
    for rgb in photos(n):
        for k, v in compare(prompter, ref, rgb).items():
            worst[k] = min(worst.get(k, 1.0), float(v.min()))
    assert min(worst.values()) >= AGREEMENT, worst


def test_sam2_tiny_masks_equal_the_reference_on_a_coco_photo(tiny):
    _, prompter, ref = tiny
    _check(prompter, ref, 1)


@pytest.mark.slow
def test_sam2_tiny_masks_equal_the_reference_on_coco_photos(tiny):
    _, prompter, ref = tiny
    _check(prompter, ref, 6)


@pytest.mark.slow
def test_sam2_small_masks_equal_the_reference_on_coco_photos(tmp_path):
    path, model = make_sam2_checkpoint("small", tmp_path)
    _check(load("sam2.1_small", PROMPT, weights=path), Reference(model), 2)


@pytest.mark.slow
def test_embedding_reused_checked_and_prefetched(tiny):
    from segcore.models.prompters.prefetch import Prefetcher
    from segcore.models.prompters.sam2 import Sam2Embedding

    _, prompter, _ = tiny
    a, b = textured_image(70, 90, seed=1), textured_image(90, 70, seed=2)
    emb = prompter.encode(a)
    assert isinstance(emb, Sam2Embedding) and emb.original_size == (70, 90)
    assert [f.shape for f in emb.features] == [(1, 32, 256, 256), (1, 64, 128, 128), (1, 256, 64, 64)]
    prompter.set_image(a)
    want = prompter.predict([(40, 30, True)], multimask=True)
    assert want.masks.shape == (3, 70, 90) and want.score == pytest.approx(float(want.scores.max()))
    with pytest.raises(PromptError, match="another image"):
        prompter.set_embedding(b, emb)
    pf = Prefetcher(prompter)
    pf.prefetch("b", b)
    pf.prefetch("a", a)
    pf.set_image("a", a)
    assert np.array_equal(prompter.predict([(40, 30, True)], multimask=True).mask, want.mask)
    pf.close()


def test_onnx_files_are_cached_beside_the_weights_and_reused(tiny):
    from segcore.models.prompters import sam2 as sam2_module

    path, prompter, _ = tiny
    enc, dec = prompter._engine.paths
    assert enc.parent == path.parent and enc.name.endswith(".encoder.onnx") and dec.name.endswith(".decoder.onnx")
    stamp = dec.stat().st_mtime_ns
    sam2_module._engines.clear()
    again = load("sam2.1_tiny", PROMPT, weights=path)
    assert again._engine.paths == (enc, dec) and dec.stat().st_mtime_ns == stamp


def test_a_file_that_does_not_fit_is_one_line(tmp_path):
    import torch
    from safetensors.torch import save_file

    bad = tmp_path / "other.safetensors"
    save_file({"vision_encoder.x": torch.zeros(3)}, str(bad))
    with pytest.raises(WeightsError) as e:
        load("sam2.1_tiny", PROMPT, weights=bad)
    assert "does not fit SAM 2.1 hiera-tiny" in str(e.value) and "\n" not in str(e.value)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not safetensors at all")
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        load("sam2.1_tiny", PROMPT, weights=junk)


def test_the_registry_lists_four_sizes_with_their_hub_files():
    from segcore.models.registry import names

    sizes = names(PROMPT, family="sam2")
    assert sizes == ["sam2.1_tiny", "sam2.1_small", "sam2.1_base_plus", "sam2.1_large"]
    for name in sizes:
        w = get(name).published
        assert w.url.startswith("https://huggingface.co/facebook/sam2.1-hiera-") and w.url.endswith("/model.safetensors")
        assert w.check is None   # no checksum could be stated here (see zoo/sam2.py)
