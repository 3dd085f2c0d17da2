"""The export and evaluate panels' handlers: wiring only. Whole-dataset export is
:func:`segcore.dataset.export_dataset`, scoring :func:`segcore.dataset.evaluate`."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from segcore import plots, render
from segcore.dataset import evaluate as score
from segcore.dataset import export_dataset
from segcore.formats import labelme, voc

from .actions import action, current_session
from .models import path_of
from .session import UserError

#: The Export menu: ``(label, value)``; the values are the API's and stay as they are.
EXPORT_FORMATS = [("VOC PNG (this image)", "voc_png"), ("labelme JSON (this image)", "labelme_json"),
                  ("overlay PNG (this image)", "overlay_png"), ("COCO JSON (all images)", "coco_json"),
                  ("COCO zip (all images)", "coco_zip"), ("VOC dataset zip (all images)", "voc_zip"),
                  ("labelme zip (all images)", "labelme_zip")]
#: Whole-dataset exports: the format, the name written, whether the download is a zip of it.
_DATASET = {"coco_json": ("coco", "annotations.json", False),
            "coco_zip": ("coco", "coco/annotations.json", True),
            "voc_zip": ("voc", "VOC", True),
            "labelme_zip": ("labelme", "labelme", True)}


def _zip(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder.parent))
    return out


@action(outputs=1)
def export(app, fmt, value=None):
    ws = app.workspace
    s = current_session(app)
    seg, stem = s.seg, Path(ws.name).stem
    ls = ws.label_set
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=app.folder))
    if fmt == "voc_png":
        return str(voc.write_label_png(folder / f"{stem}.png", seg.labels, ls))
    if fmt == "labelme_json":
        return str(labelme.write_labelme(folder / f"{stem}.json", seg.labels, ls, ws.name, s.rgb))
    if fmt == "overlay_png":
        out = folder / f"{stem}_overlay.png"
        Image.fromarray(render.overlay(s.rgb, seg)).save(out)
        return str(out)
    if fmt not in _DATASET:
        raise UserError(f"Unknown export format {fmt!r}; one of {', '.join(v for _, v in EXPORT_FORMATS)}.")
    kind, name, zipped = _DATASET[fmt]
    ws.save()
    notes: list[str] = []
    with ws.lock:
        written = export_dataset(ws.ds, kind, folder / name, notes, images=zipped)
    for note in notes:
        gr.Info(note)
    if not zipped:
        return str(written)
    top = folder / Path(name).parts[0]
    return str(_zip(top, folder / f"{top.name}.zip"))


@action(outputs=3)
def evaluate(app, gt_file, value=None):
    """The current mask against a ground-truth file, or the model's last prediction against
    the corrected mask (how much correcting changed)."""
    ws = app.workspace
    s = current_session(app)
    ls = s.seg.label_set
    if path_of(gt_file):
        ev = score(s.labels, Path(path_of(gt_file)), ls, ls.void_index)
        what = f"current mask vs {Path(path_of(gt_file)).name}"
    else:
        if ws.prediction is None:
            raise UserError("Segment this image with a model first, or choose a ground-truth mask.")
        ev = score(ws.prediction.labels, s.labels, ls, ls.void_index)
        what = "the model's prediction vs the corrected mask"
    for note in ev.notes:
        gr.Info(note)
    picture = np.asarray(Image.open(io.BytesIO(plots.confusion_png(ev.total, ls.names))).convert("RGB"))
    return f"**{what}**: {ev.summary()}", ev.table(), picture
