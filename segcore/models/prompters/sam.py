"""MobileSAM and SAM ViT-B / L / H as prompters, on ONNX Runtime.

One pipeline for the four checkpoints, which differ only in their image encoder: the model
code comes from the packages that publish it (``mobile_sam`` from ``mobilesam-mirror``,
``segment_anything``) and is used only to export the checkpoint once (:mod:`.sam_export`);
clicks run the two ONNX files. Pre- and post-processing are ``SamPredictor``'s: the photo's
longest side to 1024 (segment-anything's ``ResizeLongestSide``), normalised, padded to
1024 x 1024; points and boxes through the same transform; the low-resolution masks upscaled
to 1024, cropped to the resized photo and upscaled to the photo's size, ``> 0`` inside.

Boxes: segcore's ``(x0, y0, x1, y1)`` has x1 / y1 exclusive; SAM's corners are pixel centres,
so the box SAM sees is ``(x0, y0, x1 - 1, y1 - 1)``.

Weights: ``mobile_sam.pt`` (MobileSAM's repository at commit 34bbbfdf, checked by its git blob
id, which anyone can recompute with ``git hash-object``) and Meta's ``sam_vit_*_<sha256
prefix>.pth`` (checked by that prefix), found like every model's (:mod:`segcore.models.weights`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ...errors import ModelError, PromptError, WeightsError
from ..weights import checkpoint_dir, find_weights
from .base import Prompter, PromptResult, register_prompter

__all__ = ["SamCheckpoint", "CHECKPOINTS", "WEIGHTS_ENV", "weights_from_env", "SamPrompter", "SamEmbedding", "load_sam", "checkpoint_digests",
           "git_blob_sha1", "choose_prompter", "packages_missing"]


@dataclass(frozen=True)
class SamCheckpoint:
    """One published checkpoint. ``check``: ``("git-blob-sha1", hex)`` or ``("sha256-prefix", hex)``."""

    name: str
    arch: str
    package: str
    file_name: str
    url: str
    check: tuple[str, str]
    description: str


_META = "https://dl.fbaipublicfiles.com/segment_anything/"
CHECKPOINTS = {c.name: c for c in (
    SamCheckpoint("mobile_sam", "vit_t", "mobile_sam", "mobile_sam.pt",
                  "https://github.com/ChaoningZhang/MobileSAM/raw/34bbbfdf/weights/mobile_sam.pt",
                  ("git-blob-sha1", "7ef2d090979fd9853adf17b7a99c8b94a1c5a6a7"),
                  "MobileSAM (TinyViT encoder, 10M parameters, 40 MB; Apache-2.0): the CPU default"),
    SamCheckpoint("sam_vit_b", "vit_b", "segment_anything", "sam_vit_b_01ec64.pth", _META + "sam_vit_b_01ec64.pth",
                  ("sha256-prefix", "01ec64"), "SAM ViT-B (Meta, 91M-parameter encoder, 375 MB; Apache-2.0)"),
    SamCheckpoint("sam_vit_l", "vit_l", "segment_anything", "sam_vit_l_0b3195.pth", _META + "sam_vit_l_0b3195.pth",
                  ("sha256-prefix", "0b3195"), "SAM ViT-L (Meta, 308M-parameter encoder, 1.2 GB; Apache-2.0)"),
    SamCheckpoint("sam_vit_h", "vit_h", "segment_anything", "sam_vit_h_4b8939.pth", _META + "sam_vit_h_4b8939.pth",
                  ("sha256-prefix", "4b8939"), "SAM ViT-H (Meta, 636M-parameter encoder, 2.4 GB; Apache-2.0)"),
)}


# -- checkpoints --------------------------------------------------------------------------
def git_blob_sha1(path: str | os.PathLike) -> str:
    """Git's blob id of a file: ``sha1(b"blob <size>\\0" + data)`` (``git hash-object``)."""
    return checkpoint_digests(path)[1]


def checkpoint_digests(path: str | os.PathLike) -> tuple[str, str]:
    """``(sha256, git blob sha1)`` of a file, in one read."""
    path = Path(path)
    sha256 = hashlib.sha256()
    blob = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha256.update(block)
            blob.update(block)
    return sha256.hexdigest(), blob.hexdigest()


def _verify(ck: SamCheckpoint, path: Path, digests: tuple[str, str]) -> None:
    kind, want = ck.check
    got = digests[1] if kind == "git-blob-sha1" else digests[0][:len(want)]
    if got != want:
        what = "git blob id" if kind == "git-blob-sha1" else "sha256"
        raise WeightsError(f"{path} is not the published {ck.file_name} ({what} {got[:12]}..., expected "
                           f"{want[:12]}...): it is damaged or another file; delete it and put the published "
                           "file there, or name your own file as the weights")


def packages_missing(ck: SamCheckpoint) -> list[str]:
    """The pip packages an export of ``ck`` needs that are not installed (none are imported)."""
    from importlib.util import find_spec

    need = {"mobile_sam": ["mobile_sam", "timm", "segment_anything"]}.get(ck.package, ["segment_anything"])
    pip = {"mobile_sam": "mobilesam-mirror", "segment_anything": "segment-anything", "timm": "timm"}
    return [pip[m] for m in need if find_spec(m) is None]


def find_checkpoint(ck: SamCheckpoint, weights=None, offline: bool | None = None,
                    progress: bool = False) -> tuple[Path, str]:
    """``(path, sha256)``: the user's file (theirs: not checked), else the cache folder's or a
    download, either checked against the published checksum before use."""
    if weights is not None:
        path = find_weights(ck.name, ck.file_name, explicit=weights)
        return path, checkpoint_digests(path)[0]
    cached = checkpoint_dir() / ck.file_name
    existed = cached.is_file()
    path = find_weights(ck.name, ck.file_name, ck.url, offline=offline, progress=progress)
    digests = checkpoint_digests(path)
    try:
        _verify(ck, path, digests)
    except WeightsError:
        if not existed:   # our own download, damaged: never leave it to be found again
            path.unlink(missing_ok=True)
        raise
    return path, digests[0]


# -- the ONNX pair, shared by every prompter over the same checkpoint ------------------------
class _Engine:
    def __init__(self, files: dict):
        import onnxruntime as ort

        from ..onnx_backend import _threads

        def session(path, threads):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # As in onnx_backend: spinning threads would steal the cores from numpy around each run.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

        (enc, enc_meta), (dec, dec_meta) = files["encoder"], files["decoder"]
        # The decoder on one thread: it answers clicks while the prefetcher encodes on the other
        # cores; on a busy 2-core machine a 2-thread decoder waits for its slower thread (here,
        # under a load average of 4: median 156 ms per run on 2 threads, 122 ms on 1).
        self.encoder, self.decoder = session(enc, _threads()), session(dec, 1)
        self.img_size = int(enc_meta["img_size"])
        self.pixel_mean = np.asarray(enc_meta["pixel_mean"], np.float32)
        self.pixel_std = np.asarray(enc_meta["pixel_std"], np.float32)
        self.mask_threshold = float(dec_meta["mask_threshold"])
        self.paths = (enc, dec)


#: The environment variable naming checkpoint files of one's own: ``NAME=FILE`` or an official
#: file name, separated by ``os.pathsep``.
WEIGHTS_ENV = "SEGCORE_SAM_WEIGHTS"


def weights_from_env() -> tuple[dict[str, Path], list[str]]:
    """``({prompter name: checkpoint}, [parts that name no existing file])`` from
    ``SEGCORE_SAM_WEIGHTS`` (both empty where it is unset)."""
    found, bad = {}, []
    for part in filter(None, os.environ.get(WEIGHTS_ENV, "").split(os.pathsep)):
        name, _, path = part.rpartition("=")
        path = Path(path).expanduser()
        if not name:
            name = next((n for n, ck in CHECKPOINTS.items() if ck.file_name == path.name), "")
        if name in CHECKPOINTS and path.is_file():
            found[name] = path
        else:
            bad.append(part)
    return found, bad


_engines: dict = {}
_engines_lock = threading.Lock()


def _engine(ck: SamCheckpoint, path: Path, digest: str) -> _Engine:
    from .sam_export import ensure_exported

    with _engines_lock:
        if digest not in _engines:
            try:
                files = ensure_exported(path, ck.arch, ck.package, digest)
            except ImportError as e:
                raise ModelError(f"{ck.name} needs onnxruntime and onnx ({e.name} is missing)") from None
            _engines[digest] = _Engine(files)
        return _engines[digest]


# -- the prompter -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SamEmbedding:
    """What the encoder made of one photo: ``features`` ``(1, 256, 64, 64)`` float32, the photo's
    ``original_size`` ``(H, W)`` and its ``input_size`` after the resize ``(h, w)``."""

    features: np.ndarray
    original_size: tuple[int, int]
    input_size: tuple[int, int]


class SamPrompter(Prompter):
    """A SAM-family prompter; ``name`` is its registry name."""

    def __init__(self, name: str, engine: _Engine, weights: Path):
        super().__init__()
        from segment_anything.utils.transforms import ResizeLongestSide

        self.name = name
        self.weights = weights
        self._engine = engine
        self._transform = ResizeLongestSide(engine.img_size)
        self._embedding: SamEmbedding | None = None
        self._buffer: np.ndarray | None = None

    # -- the encoder: thread-safe, no state (a background thread may run it) --------------
    def encode(self, rgb: np.ndarray) -> SamEmbedding:
        """The image embedding of RGB uint8 ``(H, W, 3)``, as ``SamPredictor.set_image`` makes it."""
        e = self._engine
        resized = self._transform.apply_image(np.ascontiguousarray(rgb))
        h, w = resized.shape[:2]
        x = np.zeros((1, 3, e.img_size, e.img_size), np.float32)
        x[0, :, :h, :w] = ((resized.astype(np.float32) - e.pixel_mean) / e.pixel_std).transpose(2, 0, 1)
        features = e.encoder.run(["image_embeddings"], {"image": x})[0]
        return SamEmbedding(features, (int(rgb.shape[0]), int(rgb.shape[1])), (h, w))

    def _set_image(self, rgb: np.ndarray) -> None:
        self._embedding = self.encode(rgb)

    def _set_embedding(self, rgb: np.ndarray, embedding) -> None:
        if not isinstance(embedding, SamEmbedding) or embedding.original_size != tuple(rgb.shape[:2]):
            raise PromptError("this embedding was made from another image; encode this image again")
        self._embedding = embedding

    def reset_image(self) -> None:
        with self._lock:
            super().reset_image()
            self._embedding = self._buffer = None

    # -- the decoder ----------------------------------------------------------------------
    def _predict(self, points, box, mask_input, multimask: bool, prior) -> PromptResult:
        emb = self._embedding
        coords = [(x, y) for x, y, _ in points]
        labels = [1.0 if positive else 0.0 for _, _, positive in points]
        if box is not None:   # SAM's convention for a box: two corner points labelled 2 and 3
            x0, y0, x1, y1 = box
            coords += [(x0, y0), (x1 - 1, y1 - 1)]
            labels += [2.0, 3.0]
        else:                 # and without one, a padding point labelled -1, as SamPredictor adds
            coords.append((0.0, 0.0))
            labels.append(-1.0)
        xy = np.asarray(coords, np.float64)
        if box is None:
            xy[:-1] = self._transform.apply_coords(xy[:-1], emb.original_size)
        else:
            xy = self._transform.apply_coords(xy, emb.original_size)
        has_mask = mask_input is not None and np.size(mask_input) == 256 * 256
        feed = {
            "image_embeddings": emb.features,
            "point_coords": xy[None].astype(np.float32),
            "point_labels": np.asarray(labels, np.float32)[None],
            "mask_input": (np.asarray(mask_input, np.float32).reshape(1, 1, 256, 256) if has_mask
                           else np.zeros((1, 1, 256, 256), np.float32)),
            "has_mask_input": np.asarray([1.0 if has_mask else 0.0], np.float32),
        }
        scores, low = self._engine.decoder.run(["iou_predictions", "low_res_masks"], feed)
        keep = slice(1, None) if multimask else slice(0, 1)   # SamPredictor's multimask_output
        scores, low = scores[0, keep], low[0, keep]
        masks = np.empty((len(low), *emb.original_size), bool)
        for k, m in enumerate(low):
            self._upscale(m, emb, masks[k])
        best = int(np.argmax(scores))
        return PromptResult(mask=masks[best], score=float(scores[best]), logits=low[best].copy(),
                            masks=masks if multimask else None, scores=scores.copy() if multimask else None)

    def _upscale(self, low: np.ndarray, emb: SamEmbedding, out: np.ndarray) -> None:
        """``Sam.postprocess_masks`` then the threshold: ``(256, 256)`` logits -> ``out`` ``(H, W)``
        bool. cv2's bilinear resize is torch's ``interpolate(..., align_corners=False)``; the
        photo-size float buffer is kept between clicks (at 12 MP, fresh 48 MB per mask cost more
        than the resize)."""
        size = self._engine.img_size
        up = cv2.resize(low, (size, size), interpolation=cv2.INTER_LINEAR)
        h, w = emb.input_size
        H, W = emb.original_size
        if self._buffer is None or self._buffer.shape != (H, W):
            self._buffer = np.empty((H, W), np.float32)
        cv2.resize(up[:h, :w], (W, H), dst=self._buffer, interpolation=cv2.INTER_LINEAR)
        np.greater(self._buffer, self._engine.mask_threshold, out=out)


def load_sam(name: str, weights=None, offline: bool | None = None, progress: bool = False) -> SamPrompter:
    """A ready SAM-family prompter; the first load of a checkpoint exports it (seconds for
    MobileSAM, about a minute for ViT-B on 2 cores)."""
    try:
        ck = CHECKPOINTS[name]
    except KeyError:
        raise ModelError(f"unknown SAM prompter {name!r}; known: {', '.join(CHECKPOINTS)}") from None
    path, digest = find_checkpoint(ck, weights, offline, progress)
    from importlib.util import find_spec

    if find_spec("segment_anything") is None:   # its transform is SamPredictor's, used at every image
        raise ModelError(f"{name} needs the segment-anything package: pip install segment-anything")
    engine = _engine(ck, path, digest)
    return SamPrompter(name, engine, path)


def _register(ck: SamCheckpoint) -> None:
    def loader(weights=None, offline=None, progress=False, **_):
        return load_sam(ck.name, weights, offline, progress)

    def available():
        return (checkpoint_dir() / ck.file_name).is_file() and not packages_missing(ck)

    register_prompter(ck.name, ck.description, needs_weights=True, available=available,
                      weights_file=ck.file_name)(loader)


for _ck in CHECKPOINTS.values():
    _register(_ck)


def choose_prompter(name: str = "auto", weights=None, offline: bool | None = None,
                    progress: bool = False) -> tuple[Prompter, str, str | None]:
    """``(prompter, its name, a one-line note or None)``. ``auto``: MobileSAM where its weights can
    be had (the cache folder, or a download where allowed), else the weight-free ``grabcut``,
    and the note says why."""
    from .base import load_prompter

    if name in CHECKPOINTS:
        return load_sam(name, weights, offline, progress), name, None
    if name != "auto":
        return load_prompter(name, weights=weights, offline=offline), name, None
    try:
        return load_sam("mobile_sam", weights, offline, progress), "mobile_sam", None
    except (WeightsError, ModelError) as e:
        return load_prompter("grabcut"), "grabcut", f"using the weight-free grabcut prompter: {e}"
