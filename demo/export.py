"""The export and evaluate panels' handlers: they act on the current item or the dataset."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from segcore import metrics, plots, render
from segcore.errors import FormatError
from segcore.formats import coco, labelme, voc

from .models import _path_of
from .session import UserError
from .workspace import _session, action

EXPORT_FORMATS = ["VOC PNG (this image)", "labelme JSON (this image)", "overlay PNG (this image)",
                  "COCO JSON (all images)", "VOC dataset zip (all images)", "labelme zip (all images)"]


def _labelled(ws):
    """``(name, image path, labels)`` of every item with labels, the open item as edited."""
    ws.save()
    for i in range(len(ws.ds)):
        labels = ws.session.labels if i == ws.index and ws.session is not None else ws.ds.read_labels(i)
        if labels is not None:
            yield ws.ds.names[i], i, labels


def _zip(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder.parent))
    return out


@action(outputs=1)
def export(app, fmt, value=None):
    ws = app.workspace
    s = _session(app)
    seg, stem = s.seg, Path(ws.name).stem
    ls = ws.label_set
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=app.folder))
    if fmt == "VOC PNG (this image)":
        return str(voc.write_label_png(folder / f"{stem}.png", seg.labels, ls))
    if fmt == "labelme JSON (this image)":
        return str(labelme.write_labelme(folder / f"{stem}.json", seg.labels, ls, ws.name, s.rgb))
    if fmt == "overlay PNG (this image)":
        out = folder / f"{stem}_overlay.png"
        Image.fromarray(render.overlay(s.rgb, seg)).save(out)
        return str(out)
    with ws.lock:
        items = list(_labelled(ws))
        if fmt == "COCO JSON (all images)":
            return str(coco.write_coco(folder / "annotations.json", [(n, lab) for n, _, lab in items], ls))
        if fmt == "VOC dataset zip (all images)":
            root = voc.write_voc_dataset(folder / "VOC", [(Path(n).stem, ws.ds.read_image(i), lab)
                                                          for n, i, lab in items], ls)
            return str(_zip(root, folder / "voc.zip"))
        if fmt == "labelme zip (all images)":
            root = folder / "labelme"
            root.mkdir()
            for n, i, lab in items:
                labelme.write_labelme(root / f"{Path(n).stem}.json", lab, ls, n, ws.ds.read_image(i))
            return str(_zip(root, folder / "labelme.zip"))
    raise UserError(f"Unknown export format {fmt!r}; choose one of the list.")


@action(outputs=3)
def evaluate(app, gt_file, value=None):
    """The current mask against a ground-truth file, or the model's last prediction against
    the corrected mask (how much correcting changed)."""
    ws = app.workspace
    s = _session(app)
    ls = s.seg.label_set
    if _path_of(gt_file):
        gt_name = Path(_path_of(gt_file)).name
        truth, note = voc.binary_mask_classes(voc.read_label_map(_path_of(gt_file), ls, gt_name), ls, gt_name)
        if note:
            gr.Info(note)
        pred, what = s.labels, f"current mask vs {gt_name}"
        if truth.shape != pred.shape:
            raise UserError(f"The ground truth is {truth.shape[1]}x{truth.shape[0]} but the image is "
                            f"{pred.shape[1]}x{pred.shape[0]}.")
    else:
        if ws.prediction is None:
            raise UserError("Segment this image with a model first, or choose a ground-truth mask.")
        truth, pred = s.labels, ws.prediction.labels
        what = "the model's prediction vs the corrected mask"
    try:
        cm = metrics.confusion_matrix(truth, pred, len(ls), ls.void_index)
    except FormatError as e:
        raise UserError(str(e)) from None
    rep = cm.report(ls.names)
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    summary = (f"**{what}**: pixel accuracy {fmt(rep['pixel_accuracy'])}, mean accuracy "
           f"{fmt(rep['mean_accuracy'])}, mIoU {fmt(rep['miou'])}, fwIoU {fmt(rep['fwiou'])}, "
           f"mean Dice {fmt(rep['mean_dice'])}")
    table = [[n, r["iou"], r["dice"], r["precision"], r["recall"], r["support"]] for n, r in rep["per_class"].items()]
    picture = np.asarray(Image.open(io.BytesIO(plots.confusion_png(cm, ls.names))).convert("RGB"))
    return summary, table, picture
