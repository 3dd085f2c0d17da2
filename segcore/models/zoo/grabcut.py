"""OpenCV GrabCut: no weights. Clicks and boxes (a window around them), or a whole photo from a
centred box (a guess at the foreground: ``auto`` never segments a dataset with it)."""

from __future__ import annotations

from ..grabcut import FOREGROUND_LABELS
from ..registry import PROMPT, SEGMENT, ModelSpec, register


def _build(spec, task, path, **_):
    from ..prompters.grabcut import GrabCutPrompter, GrabCutSegmenter

    return GrabCutSegmenter(spec) if task == SEGMENT else GrabCutPrompter()


register(ModelSpec(
    name="grabcut", family="opencv", can={PROMPT, SEGMENT}, label_set=FOREGROUND_LABELS, title="GrabCut",
    description="OpenCV GrabCut, no weights needed: a window around the clicks or inside the box "
                "(whole photo: from a centred box)",
    builder=_build, auto={PROMPT: 100},
))
