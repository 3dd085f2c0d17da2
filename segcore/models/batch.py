"""Predicting many files with the cores kept busy.

Images are decoded and preprocessed ahead of the model by a small thread pool; consecutive
images whose preprocessed sizes match go through the net together (up to ``batch_size``);
upsampling, argmax and writing the label PNGs happen behind it in another pool. Both queues
are bounded, so memory stays the same for ten images or a million. Decoding (Pillow), resizing
and PNG encoding release the GIL, as do torch and ONNX Runtime, so the threads overlap.
"""

from __future__ import annotations

import collections
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

__all__ = ["predict_files", "FileResult", "write_outputs"]


@dataclass(frozen=True)
class FileResult:
    path: str
    error: str | None = None


def write_outputs(out: Path, path, rgb, seg, overlay: bool) -> None:
    """``out/<stem>.png`` (palette PNG) and, with ``overlay``, ``out/<stem>_overlay.png`` and
    ``out/<stem>_legend.png`` (the classes present, by name, colour and share)."""
    from PIL import Image

    from ..fileio import write_with
    from ..formats.voc import write_label_png
    from ..render import legend
    from ..render import overlay as render_overlay

    stem = Path(path).stem
    write_label_png(out / f"{stem}.png", seg.labels, seg.label_set)
    if overlay:
        picture = Image.fromarray(render_overlay(rgb, seg))
        write_with(out / f"{stem}_overlay.png", lambda p: picture.save(p, format="PNG"))
        key = Image.fromarray(legend(seg))
        write_with(out / f"{stem}_legend.png", lambda p: key.save(p, format="PNG"))


def predict_files(model, paths: Iterable, out: str | os.PathLike, *, overlay: bool = False,
                  scale: int | None = None, batch_size: int = 4, readers: int = 2, writers: int = 1,
                  max_pixels: int | None = None, write: Callable | None = None) -> Iterator[FileResult]:
    """Predict every file and write its outputs; yields one :class:`FileResult` per file as
    it is written (errors a user can cause are reported there, not raised)."""
    from ..errors import SegcoreError
    from ..image import DEFAULT_MAX_PIXELS, load
    from ..segmentation import Segmentation

    out = Path(out)
    write = write or (lambda path, rgb, seg: write_outputs(out, path, rgb, seg, overlay))
    batched = hasattr(model, "preprocess") and hasattr(model, "forward") and scale is None
    ahead = max(2, 2 * batch_size)
    if getattr(model, "backend", None) == "torch" and getattr(getattr(model, "device", None), "type", "") == "cpu":
        # torch's own thread pool already takes every core; reader and writer threads beside it
        # made 200 photos 20% slower here (tests/bench/bench_onnx.py), so read and write in turn.
        readers = writers = 1
        ahead = batch_size

    def read(path):
        try:
            rgb = load(path, max_pixels=max_pixels or DEFAULT_MAX_PIXELS)
            return path, rgb, (model.preprocess(rgb) if batched else None), None
        except SegcoreError as e:
            return path, None, None, str(e)

    def finish(path, rgb, logits=None, seg=None):
        try:
            if seg is None:
                from .tiling import upsample_argmax

                labels, conf = upsample_argmax(logits, rgb.shape[:2])
                seg = Segmentation(labels, model.spec.label_set, conf)
            write(path, rgb, seg)
            return FileResult(str(path))
        except SegcoreError as e:
            return FileResult(str(path), str(e))

    with ThreadPoolExecutor(readers, thread_name_prefix="segcore-read") as rpool, \
            ThreadPoolExecutor(writers, thread_name_prefix="segcore-write") as wpool:
        pending: collections.deque[Future] = collections.deque()
        writing: collections.deque[Future] = collections.deque()
        it = iter(paths)

        def top_up():
            while len(pending) < ahead:
                try:
                    pending.append(rpool.submit(read, next(it)))
                except StopIteration:
                    return

        def drain(limit):
            while writing and (len(writing) > limit or writing[0].done()):
                yield writing.popleft().result()

        top_up()
        while pending:
            path, rgb, x, err = pending.popleft().result()
            top_up()
            if err is not None:
                yield FileResult(str(path), err)
                continue
            if not batched:
                try:
                    seg = model.predict(rgb, scale=scale) if scale is not None else model.predict(rgb)
                except SegcoreError as e:
                    yield FileResult(str(path), str(e))
                    continue
                writing.append(wpool.submit(finish, path, rgb, seg=seg))
            else:
                group = [(path, rgb, x)]
                # take the next ready images of the same size into this batch
                while pending and len(group) < batch_size and pending[0].done():
                    nxt = pending[0].result()
                    if nxt[3] is not None or nxt[2].shape != x.shape:
                        break
                    pending.popleft()
                    group.append(nxt[:3])
                    top_up()
                import torch

                logits = model.forward(torch.cat([g[2] for g in group]))
                for (p, r, _), lg in zip(group, logits):
                    writing.append(wpool.submit(finish, p, r, logits=lg))
            yield from drain(ahead)
        yield from drain(0)
