"""Portrait cutout: a person mask, a soft alpha matte along its edge, new backgrounds.

``person_mask`` takes the person from the registry's best person model (``auto``: MediaPipe's
``selfie`` where its file is here or can be downloaded; box and clicks refine it through its
prompter, as the editor's do), else from ``grabcut`` (box and/or points; without prompts, the
automatic box; a detected face seeds it), or from a VOC model's ``person`` class or ``unet``.
``cut`` builds the trimap, the matte (guided filter by default: on our portrait set it matched
closed-form matting's IoU at about half its time, see tests/bench/bench_cutout.py) and the
foreground colours. ``composite`` puts the result on a background.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import ModelError, PromptError
from ..models.grabcut import default_box, grabcut
from ..image import load
from ..prompts import check_box, check_points, click_seeds
from ..edit.interactive import refine
from .matting import foreground, matte, trimap
from .face import person_seeds

__all__ = ["Cutout", "person_mask", "choose_person_model", "cut", "composite", "cutout", "AUTO"]


@dataclass(frozen=True)
class Cutout:
    """``alpha`` ``(H, W)`` float32 in [0, 1]; ``foreground`` ``(H, W, 3)`` uint8; ``mask`` bool."""

    alpha: np.ndarray
    foreground: np.ndarray
    mask: np.ndarray

    def rgba(self) -> np.ndarray:
        a = np.clip(self.alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([self.foreground, a])


#: The person model a portrait uses unless told otherwise: the registry's best person model at
#: hand (selfie where its file is here or can be downloaded), else GrabCut.
AUTO = "auto"


def choose_person_model(model: str = AUTO, weights=None, offline: bool | None = None, progress=None):
    """``(loaded model or None for grabcut, its name, a one-line note or None)``, through the one
    resolver: ``auto`` takes the best model with a ``person`` class whose weights are here or can
    be downloaded (``progress(received, total)``), else GrabCut, and the note says why."""
    from ..errors import WeightsError
    from ..models.cache import cached_model
    from ..models.registry import SEGMENT
    from ..models.resolve import resolve
    from ..models.selfie import PERSON_LABELS

    if model == "grabcut":
        return None, "grabcut", None
    choice = resolve(model, SEGMENT, weights=weights, label_set=PERSON_LABELS, offline=offline,
                     fallback="grabcut")
    if choice.name == "grabcut":
        return None, "grabcut", choice.note and f"no person model, {choice.note}"
    try:
        loaded = cached_model(choice.name, weights=choice.path if choice.weights is not None
                              and choice.weights.tag == "user" else None, offline=offline, progress=progress)
    except WeightsError as e:
        if model != AUTO:
            raise
        return None, "grabcut", f"no person model, using GrabCut: {e}"
    return loaded, choice.name, None


def person_mask(rgb: np.ndarray, model: str = AUTO, *, weights=None, box=None, points=(),
                offline: bool | None = None, loaded=None) -> np.ndarray:
    """``(H, W)`` bool person mask. ``box`` ``(x0, y0, x1, y1)``; ``points`` ``[(x, y, positive)]``.

    ``model``: ``auto`` (see :func:`choose_person_model`), ``selfie``, ``grabcut``, a VOC model
    (its person class) or ``unet``. ``loaded``: a model already loaded. A model that answers
    clicks (the selfie model) takes the box and the points through its prompter, exactly as the
    editor's clicks do: the person it finds is the prior the clicks correct.
    """
    H, W = rgb.shape[:2]
    box = check_box(box, H, W) if box is not None else None
    clicks = check_points(points, H, W)
    if loaded is None:
        loaded, model, _ = choose_person_model(model, weights, offline)
    if loaded is None:
        fg, bg = click_seeds((H, W), clicks)
        if box is None:   # the automatic box; grabcut gives a tiny image its defined answer
            b = default_box(H, W)
            seeds = person_seeds(rgb, b) if b[2] - b[0] >= 2 and b[3] - b[1] >= 2 else None
            return grabcut(rgb, None, fg_seeds=fg if seeds is None else fg | seeds, bg_seeds=bg, lab=True)
        return grabcut(rgb, box, fg_seeds=fg | person_seeds(rgb, box), bg_seeds=bg, lab=True)
    prompter = _prompter_of(loaded)
    if prompter is not None:
        seen = loaded.predict(rgb).labels.astype(bool)   # the person as the model sees the photo
        if box is None and not clicks:
            return seen
        prompter.set_image(rgb)
        return prompter.predict(clicks, box, prior=seen if seen.any() else None).mask
    seg = loaded.predict(rgb)
    if "person" not in seg.label_set.names:
        raise ModelError(f"model {model} has no person class; use selfie, a VOC model, unet or grabcut")
    mask = seg.labels == seg.label_set.names.index("person")
    if box is not None:
        inside = np.zeros((H, W), bool)
        inside[box[1]:box[3], box[0]:box[2]] = True
        mask &= inside
    if clicks:
        fg, bg = click_seeds((H, W), clicks)
        mask = refine(rgb, mask, box=box, fg=fg, bg=bg)
    return mask


def _prompter_of(loaded):
    """The prompter of a loaded person model that answers clicks too (the selfie model), built
    by its registry entry over the same weights (sharing the loaded nets), else None."""
    from ..models.registry import PROMPT

    spec, path = getattr(loaded, "spec", None), getattr(loaded, "weights_path", None)
    if spec is None or PROMPT not in spec.can or path is None:
        return None
    return spec.builder(spec, PROMPT, path)


def cut(rgb: np.ndarray, mask: np.ndarray, solver: str = "guided") -> Cutout:
    """Soft matte and foreground colours of ``mask`` over RGB uint8 ``rgb``."""
    alpha = matte(rgb, trimap(mask), solver)
    return Cutout(alpha, foreground(rgb, alpha), mask)


def _cover(bg: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale a background to cover ``height x width`` and crop its centre."""
    h, w = bg.shape[:2]
    s = max(height / h, width / w)
    nh, nw = max(height, round(h * s)), max(width, round(w * s))
    big = cv2.resize(bg, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    y, x = (nh - height) // 2, (nw - width) // 2
    return big[y:y + height, x:x + width]


def composite(c: Cutout, background: str | os.PathLike | np.ndarray = "transparent",
              photo: np.ndarray | None = None) -> np.ndarray:
    """RGBA ``(H, W, 4)`` for ``"transparent"``; else RGB ``(H, W, 3)`` over ``"#RRGGBB"``,
    ``"blur"`` (the original blurred; needs ``photo``) or another image (path or array)."""
    H, W = c.alpha.shape
    if isinstance(background, str) and background == "transparent":
        return c.rgba()
    if isinstance(background, str) and background.startswith("#"):
        try:
            rgb = tuple(int(background[i:i + 2], 16) for i in (1, 3, 5))
            if len(background) != 7:
                raise ValueError
        except ValueError:
            raise PromptError(f"a colour is #RRGGBB, got {background!r}") from None
        back = np.empty((H, W, 3), np.float32)
        back[:] = rgb
    elif isinstance(background, str) and background == "blur":
        if photo is None:
            raise ValueError("a blurred background needs the photo")
        sigma = max(2.0, 0.01 * float(np.hypot(H, W)))
        back = cv2.GaussianBlur(photo, (0, 0), sigma).astype(np.float32)
    else:
        back = _cover(load(background), H, W).astype(np.float32)
    a = c.alpha[..., None]
    out = c.foreground.astype(np.float32) * a + back * (1.0 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def cutout(image, model: str = AUTO, *, weights=None, box=None, points=(),
           background="transparent", solver: str = "guided", offline: bool | None = None,
           notes: list | None = None, progress=None) -> np.ndarray:
    """The whole flow: image in, RGBA (transparent) or RGB picture out. ``notes`` (a list)
    receives a line saying which person model was used where it was not the one asked for."""
    rgb = load(image)
    loaded, name, note = choose_person_model(model, weights, offline, progress)
    if note and notes is not None:
        notes.append(note)
    mask = person_mask(rgb, name, box=box, points=points, loaded=loaded)
    return composite(cut(rgb, mask, solver), background, photo=rgb)
