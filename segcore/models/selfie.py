"""MediaPipe selfie segmentation run with LiteRT: a real person model in milliseconds on a CPU.

The model (Apache-2.0, MobileNetV3-based, a 250 KB TFLite file) takes an RGB picture as floats
in [0, 1] at its input size (256x256 general, 144x256 landscape) and gives a person
probability at that size. MediaPipe stretches the whole photo to the input; we also run it on
square windows along the photo's long side, which it sees unstretched, and on the mirror
image of every view, and average (on people photos this took mean IoU from 0.886 to 0.911:
see tests/bench/bench_selfie.py). The probability is brought to the photo's size bilinearly
and thresholded at 0.5. (A colour guided filter or a GrabCut pass over the edge lowered IoU on
the same photos, so neither is used.)

Clicks refine it (``click_mask``, used by the selfie prompter): the model looks again at a
square window centred on each click, and the connected part of its answer that holds the click
is added (positive click) or removed (negative); a disc at each click is then sure.

MediaPipe's custom op ``Convolution2DTransposeBias`` is run by LiteRT's default XNNPACK
delegate: the interpreter must keep it (a builtin-only resolver fails on that op).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import cv2
import numpy as np

from ..errors import WeightsError
from ..image import ImageInput, load
from ..labels import LabelSet
from ..prompts import check_box, check_points, click_radius, click_seeds
from ..segmentation import Segmentation
from .segmenter import Segmenter

__all__ = ["SelfieSegmenter", "PERSON_LABELS"]

PERSON_LABELS = LabelSet(("background", "person"), ((0, 0, 0), (192, 128, 128)))


@contextlib.contextmanager
def _quiet_stderr():
    """LiteRT's C++ side prints an INFO line about its delegate on stderr; keep the CLI clean."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)


class _Net:
    """One TFLite interpreter: ``(h, w, 3)`` float32 in [0, 1] at its input size -> ``(h, w)``."""

    def __init__(self, path: Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise WeightsError("the selfie model needs LiteRT: pip install ai-edge-litert") from None
        try:
            with _quiet_stderr():
                self.interp = Interpreter(model_path=str(path), num_threads=max(1, min(4, os.cpu_count() or 1)))
                self.interp.allocate_tensors()
        except Exception as e:  # LiteRT raises ValueError / RuntimeError for a bad flatbuffer
            raise WeightsError(f"{path} is not a usable TFLite model ({e.__class__.__name__}); "
                               "give the selfie_segmentation.tflite file") from None
        inp, out = self.interp.get_input_details()[0], self.interp.get_output_details()[0]
        if len(inp["shape"]) != 4 or inp["shape"][3] != 3 or out["shape"][-1] != 1:
            raise WeightsError(f"{path} is not a selfie segmentation model (input {list(inp['shape'])}, "
                               f"output {list(out['shape'])})")
        self._in, self._out = inp["index"], out["index"]
        self.size = (int(inp["shape"][1]), int(inp["shape"][2]))   # (h, w)
        self._lock = threading.Lock()   # an interpreter is not re-entrant: app threads take turns

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with self._lock:
            self.interp.set_tensor(self._in, np.ascontiguousarray(x[None], np.float32))
            self.interp.invoke()
            return self.interp.get_tensor(self._out)[0, ..., 0].copy()


class SelfieSegmenter(Segmenter):
    """``predict(image, box=None) -> Segmentation`` (background / person; confidence is the
    winning class's probability); ``probability(rgb)`` gives the person probability; clicks
    refine it through :class:`~segcore.models.prompters.selfie.SelfiePrompter` (``click_mask``)."""

    def __init__(self, spec, paths, *, flip: bool = True, windows: bool = True):
        self.spec = spec
        self.paths = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
        self.weights_path = self.paths[0]
        self.nets = [_Net(p) for p in self.paths]
        self.flip = flip
        self.windows = windows

    @property
    def label_set(self) -> LabelSet:
        return self.spec.label_set if self.spec is not None else PERSON_LABELS

    # -- probabilities ------------------------------------------------------------------
    def view_probability(self, rgb: np.ndarray) -> np.ndarray:
        """Person probability of one view (stretched to each net's input), ``(h, w)`` float32
        at the first net's input size; nets and mirror images averaged."""
        h0, w0 = self.nets[0].size
        acc = np.zeros((h0, w0), np.float32)
        n = 0
        for net in self.nets:
            h, w = net.size
            x = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
            outs = [net(x)]
            if self.flip:
                outs.append(net(x[:, ::-1])[:, ::-1])
            for o in outs:
                acc += o if o.shape == (h0, w0) else cv2.resize(o, (w0, h0), interpolation=cv2.INTER_LINEAR)
                n += 1
        return np.clip(acc / n, 0.0, 1.0)

    def probability(self, rgb: np.ndarray) -> np.ndarray:
        """Person probability ``(H, W)`` float32 in [0, 1]: the stretched photo and, for a
        photo that is not square, square windows along its long side, averaged."""
        H, W = rgb.shape[:2]
        full = _up(self.view_probability(rgb), W, H)
        s, L = min(H, W), max(H, W)
        if not self.windows or L < 1.2 * s:
            return full
        acc = np.zeros((H, W), np.float32)
        cnt = np.zeros((H, W), np.float32)
        for t in np.linspace(0, L - s, int(np.ceil(L / s)) + 1).round().astype(int):
            sl = (slice(0, H), slice(t, t + s)) if W >= H else (slice(t, t + s), slice(0, W))
            acc[sl] += _up(self.view_probability(rgb[sl]), s, s)
            cnt[sl] += 1
        return 0.5 * (full + acc / np.maximum(cnt, 1))

    def predict(self, image: ImageInput, *, box=None, scale=None) -> Segmentation:
        rgb = load(image)
        H, W = rgb.shape[:2]
        if box is not None:
            box = check_box(box, H, W)
        p = self.box_probability(rgb, box)
        mask = p >= 0.5
        conf = np.where(mask, p, 1.0 - p).astype(np.float32)
        return Segmentation(mask.astype(np.uint8), self.label_set, conf)

    def box_probability(self, rgb: np.ndarray, box=None) -> np.ndarray:
        """Probability ``(H, W)``; with a box ``(x0, y0, x1, y1)`` nothing outside it is a person.

        The model still looks at the whole photo: running it on the box alone (the photo
        cropped, with a margin) lowered IoU on people photos from 0.902 to 0.883.
        """
        p = self.probability(rgb)
        if box is None:
            return p
        x0, y0, x1, y1 = box
        inside = np.zeros(p.shape, bool)
        inside[y0:y1, x0:x1] = True
        return np.where(inside, p, 0.0).astype(np.float32)

    def click_mask(self, rgb: np.ndarray, mask: np.ndarray, clicks, box=None) -> np.ndarray:
        """``mask`` (H, W) bool refined by clicks ``[(x, y, positive), ...]``, in order."""
        H, W = mask.shape
        clicks = check_points(clicks, H, W)
        out = mask.copy()
        r = max(8, min(H, W) // 2)
        for x, y, positive in clicks:
            x0, y0 = max(0, min(x - r, W - 2 * r)), max(0, min(y - r, H - 2 * r))
            x1, y1 = min(W, x0 + 2 * r), min(H, y0 + 2 * r)
            pc = _up(self.view_probability(rgb[y0:y1, x0:x1]), x1 - x0, y1 - y0)
            target = (pc >= 0.5) if positive else (pc < 0.5)
            target[y - y0, x - x0] = True
            _, comp = cv2.connectedComponents(target.astype(np.uint8), connectivity=8)
            region = comp == comp[y - y0, x - x0]
            sub = out[y0:y1, x0:x1]
            out[y0:y1, x0:x1] = (sub | region) if positive else (sub & ~region)
        # Sure discs at half a GrabCut click's radius: a full one spilled over thin error regions
        # (people-40, 3 clicks at once: mean IoU 0.903 with it, 0.917 at half, no clicks 0.909).
        fg, bg = click_seeds((H, W), clicks, radius=max(1, click_radius((H, W)) // 2))
        out = (out | fg) & ~bg
        if box is not None:
            inside = np.zeros((H, W), bool)
            inside[box[1]:box[3], box[0]:box[2]] = True
            out &= inside
        return out


def _up(p: np.ndarray, w: int, h: int) -> np.ndarray:
    return p if p.shape == (h, w) else cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR)
