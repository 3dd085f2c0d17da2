"""MediaPipe's selfie segmentation (Apache-2.0, LiteRT): person vs background in milliseconds on
a CPU, with no prompt; as a prompter, clicks pick and refine the person pointed at.

The files are the raw ones at a fixed commit of github.com/google/mediapipe, so the address and
the checksum never drift apart.
"""

from __future__ import annotations

import threading

from ..registry import PROMPT, SEGMENT, ModelSpec, Weights, register
from ..selfie import PERSON_LABELS

__all__ = ["PERSON_LABELS"]

_BASE = ("https://raw.githubusercontent.com/google/mediapipe/8b57bf879b419173b26277d220b643dac0402334/"
         "mediapipe/modules/selfie_segmentation/")

_nets: dict = {}
_lock = threading.Lock()


def _segmenter(spec, path):
    """One loaded model per (entry, file) in a process: its interpreters take turns."""
    from ..selfie import SelfieSegmenter

    key = (spec.name, str(path))
    with _lock:
        if key not in _nets:
            _nets[key] = SelfieSegmenter(spec, path)
        return _nets[key]


def _build(spec, task, path, **_):
    model = _segmenter(spec, path)
    if task == SEGMENT:
        return model
    from ..prompters.selfie import SelfiePrompter

    return SelfiePrompter(model)


for _name, _file, _sha, _size, _auto in (
        ("selfie", "selfie_segmentation.tflite",
         "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27", "256x256", {SEGMENT: 0, PROMPT: 50}),
        ("selfie_landscape", "selfie_segmentation_landscape.tflite",
         "4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894", "144x256", {SEGMENT: 5})):
    register(ModelSpec(
        name=_name, family="mediapipe", can={SEGMENT, PROMPT}, label_set=PERSON_LABELS, objects=("person",),
        title="Selfie" if _name == "selfie" else "Selfie (landscape)",
        description=f"MediaPipe selfie segmentation ({_size} input, LiteRT), person vs background, "
                    "runs in milliseconds on a CPU; clicks pick and refine a person",
        builder=_build, auto=_auto, requires=(("ai_edge_litert", "ai-edge-litert"),),
        weights=(Weights("published", file_name=_file, url=_BASE + _file, check=("sha256", _sha),
                         meta={"file_size_mb": 0.25}),),
    ))
