"""SAM 3 concepts: every instance of a short noun phrase ("car", "sidewalk") in a photo.

Through ``transformers``' ``Sam3Model`` and ``Sam3Processor``. ``set_image`` encodes the photo
once and keeps its vision features; ``find(text)`` then costs only the text, the DETR-style
encoder and decoder and the mask head (3.8 s a prompt at full size on 2 cores, against 38 s for
the image). Text features are kept per prompt too: a dataset pre-label asks the same class names
of every image. Instances are transformers' own post-processing
(``post_process_instance_segmentation``: score = detection x presence, kept above the
threshold; mask = sigmoid upsampled bilinearly to the photo, above 0.5), so they equal
processor + model + post-processing run in one go, exactly.

Weights are a folder with ``config.json`` and ``model.safetensors`` (as ``save_pretrained``
writes them); the registry entry ``sam3`` (:mod:`segcore.models.zoo.sam3`) finds it or fetches
it from the Hugging Face hub, where the published weights are gated. Where the folder has no
tokenizer files, the processor is built here, offline: the image processor at the model's input
size and CLIP's BPE tokenizer from the vocabulary that ships in ``open-clip-torch``.
"""

from __future__ import annotations

import gzip
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError, PromptError, WeightsError

__all__ = ["Instance", "ConceptModel", "sam3_from_folder", "offline_processor", "clip_tokenizer", "HUB_ID",
           "MAX_TOKENS"]

#: The published model on the Hugging Face hub (gated).
HUB_ID = "facebook/sam3"
#: SAM 3's text encoder reads at most this many tokens (start and end included).
MAX_TOKENS = 32
#: Queries post-processed at a time: each kept one is upsampled to the photo's size.
_CHUNK = 8


@dataclass(frozen=True, eq=False)
class Instance:
    """One instance found: ``mask`` ``(H, W)`` bool, ``score`` 0-1 (detection x presence),
    ``box`` ``(x0, y0, x1, y1)`` in pixels of the photo (float)."""

    mask: np.ndarray
    score: float
    box: tuple[float, float, float, float]


class _Slice:
    """Queries ``k`` of a model output: what ``post_process_instance_segmentation`` reads."""

    def __init__(self, out, k: slice):
        self.pred_logits = out.pred_logits[:, k]
        self.pred_boxes = out.pred_boxes[:, k]
        self.pred_masks = out.pred_masks[:, k]
        self.presence_logits = out.presence_logits


class ConceptModel:
    """A SAM 3 model and its processor. ``set_image(rgb)`` once per photo, then ``find(text)``
    per prompt. Calls take turns on one lock (the app's sessions share the model), but the
    image is per object: use :meth:`instances` from threads that share one."""

    def __init__(self, model, processor, *, name: str = "sam3", device: str = "cpu", source: str = ""):
        self.model = model.eval().to(device)      # no-ops where it is there already
        self.processor = processor
        self.name = name
        self.device = device
        self.source = source
        self._lock = threading.RLock()
        self._vision = None
        self._size: tuple[int, int] | None = None
        self._image_key = None
        self._texts: dict[str, tuple] = {}

    # -- the photo ------------------------------------------------------------------------
    @property
    def is_image_set(self) -> bool:
        return self._vision is not None

    def set_image(self, rgb: np.ndarray) -> None:
        """Encode RGB uint8 ``(H, W, 3)`` and keep its vision features for every prompt."""
        import torch

        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise PromptError(f"SAM 3 reads an RGB uint8 (H, W, 3) photo, got {rgb.dtype} {rgb.shape}")
        if not rgb.flags.writeable:      # torch.from_numpy warns on a read-only array
            rgb = rgb.copy()
        with self._lock, torch.inference_mode():
            inputs = self.processor(images=rgb, return_tensors="pt")
            self._vision = self.model.get_vision_features(pixel_values=inputs["pixel_values"].to(self.device))
            self._size = (int(rgb.shape[0]), int(rgb.shape[1]))
            self._image_key = None

    def reset_image(self) -> None:
        with self._lock:
            self._vision = self._size = self._image_key = None

    # -- prompts --------------------------------------------------------------------------
    def _text(self, text: str):
        """``(text features, attention mask)`` of ``text``, computed once per prompt."""
        import torch

        if text not in self._texts:
            enc = self.processor(text=text, return_tensors="pt")
            if enc["input_ids"].shape[1] > MAX_TOKENS:
                raise PromptError(f"the prompt {text!r} is too long for SAM 3 ({MAX_TOKENS - 2} word pieces at "
                                  "most); use a short noun phrase")
            ids, mask = enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)
            with torch.inference_mode():
                feats = self.model.get_text_features(input_ids=ids, attention_mask=mask)
            if len(self._texts) >= 256:
                self._texts.pop(next(iter(self._texts)))
            self._texts[text] = (feats, mask)
        return self._texts[text]

    def find(self, text: str, threshold: float = 0.5, mask_threshold: float = 0.5) -> list[Instance]:
        """Every instance of ``text`` in the photo set, scored above ``threshold``, in the
        model's query order."""
        import torch

        text = _check_text(text)
        if not 0 <= float(threshold) <= 1:
            raise PromptError(f"the score threshold is between 0 and 1, got {threshold}")
        with self._lock, torch.inference_mode():
            if self._vision is None:
                raise PromptError("no photo is set; call set_image first")
            feats, mask = self._text(text)
            out = self.model(vision_embeds=self._vision, text_embeds=feats, attention_mask=mask)
            found = []
            for start in range(0, out.pred_logits.shape[1], _CHUNK):
                res = self.processor.post_process_instance_segmentation(
                    _Slice(out, slice(start, start + _CHUNK)), threshold=float(threshold),
                    mask_threshold=float(mask_threshold), target_sizes=[self._size])[0]
                for m, s, b in zip(res["masks"], res["scores"], res["boxes"]):
                    found.append(Instance(m.to(torch.bool).cpu().numpy(), float(s),
                                          tuple(float(v) for v in b.tolist())))
            return found

    def find_each(self, texts, threshold: float = 0.5) -> list[list[Instance]]:
        """:meth:`find` for each prompt of ``texts``, on the one photo set."""
        return [self.find(t, threshold) for t in texts]

    def instances(self, rgb: np.ndarray, texts, threshold: float = 0.5, key=None) -> list[list[Instance]]:
        """Set ``rgb`` (unless ``key`` names the photo set last) and find each of ``texts``,
        under one lock: for threads that share this model."""
        with self._lock:
            if key is None or key != self._image_key or self._vision is None:
                self.set_image(rgb)
                self._image_key = key
            return self.find_each(texts, threshold)


def _check_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise PromptError("a concept prompt is a short noun phrase, e.g. 'car'; got an empty one")
    return text.strip()


# -- the processor, built offline --------------------------------------------------------
def clip_tokenizer():
    """CLIP's BPE tokenizer (49408 tokens), as SAM 3 uses it, from the vocabulary file that
    ships in ``open-clip-torch``; never touches the network."""
    from importlib.util import find_spec

    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    spec = find_spec("open_clip")
    path = None if spec is None else Path(next(iter(spec.submodule_search_locations))) / "bpe_simple_vocab_16e6.txt.gz"
    if path is None or not path.is_file():
        raise ModelError("SAM 3 needs CLIP's vocabulary: pip install open-clip-torch (or use a SAM 3 folder that "
                         "has its tokenizer files)")
    # As CLIP's own tokenizer reads the file: the merges after the header line, up to 49152 - 256 - 2.
    lines = gzip.open(path).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
    merges = [tuple(ln.split()) for ln in lines]
    byte_chars = list(bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={v: i for i, v in enumerate(vocab)}, merges=merges)


def offline_processor(image_size: int = 1008):
    """A ``Sam3Processor`` without the hub: the image processor at ``image_size`` (square) and
    :func:`clip_tokenizer`."""
    from transformers import Sam3ImageProcessor, Sam3Processor

    size = int(image_size)
    return Sam3Processor(image_processor=Sam3ImageProcessor(size={"height": size, "width": size}),
                         tokenizer=clip_tokenizer())


# -- building from a folder --------------------------------------------------------------
_loaded: dict = {}
_loaded_lock = threading.Lock()


def sam3_from_folder(folder: str | os.PathLike, *, device: str = "cpu", name: str = "sam3") -> ConceptModel:
    """The :class:`ConceptModel` over the files of ``folder`` (``config.json`` and
    ``model.safetensors``, as ``save_pretrained`` writes them; its tokenizer files where it has
    them, else the processor is built offline). The network is never used. One per process and
    folder, shared (the app's sessions, a pre-label): callers that share it find with
    :meth:`ConceptModel.instances`, which names the photo."""
    try:
        from transformers import Sam3Model, Sam3Processor
    except ImportError:
        raise ModelError("SAM 3 needs transformers 5: pip install 'segcore[sam3]'") from None
    folder = Path(folder).expanduser()
    if not (folder / "config.json").is_file():
        raise WeightsError(f"{folder} is not a SAM 3 folder (no config.json); name the folder that holds the "
                           f"files of {HUB_ID} (config.json, model.safetensors)")
    key = (str(folder.resolve()), str(device), name)
    with _loaded_lock:
        if key not in _loaded:
            try:
                model = Sam3Model.from_pretrained(folder, local_files_only=True)
            except (OSError, ValueError) as e:
                raise WeightsError(f"{folder} holds no readable SAM 3 weights ({e.__class__.__name__}); it needs "
                                   "config.json and model.safetensors as save_pretrained writes them") from None
            if any((folder / f).is_file() for f in ("tokenizer.json", "vocab.json")):
                processor = Sam3Processor.from_pretrained(folder, local_files_only=True)
            else:
                processor = offline_processor(model.config.vision_config.backbone_config.image_size)
            _loaded[key] = ConceptModel(model, processor, name=name, device=device, source=str(folder))
        return _loaded[key]
