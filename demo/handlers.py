"""Event handlers: each turns Gradio values into segcore calls and the results back.

Every handler is a plain function that can be called without a server. A user's mistake
(segcore's exceptions) becomes a ``gr.Error`` with segcore's one-line message.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import html
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from segcore import portrait as cutout_lib
from segcore import edit, metrics, plots, render
from segcore.edit import interactive
from segcore.errors import FormatError, SegcoreError, WeightsError
from segcore.fileio import read_json
from segcore.formats import coco, labelme, voc
from segcore.image import load
from segcore.models.cache import cached_model
from segcore.models.registry import get_model_spec, list_models
from segcore.segmentation import Segmentation

EXPORT_FORMATS = ["VOC PNG", "VOC dataset (zip)", "COCO JSON", "labelme JSON", "overlay PNG"]
BRUSH_OPACITY = 0.55  # strokes come back with alpha 140 = edit.LAYER_ALPHA


@dataclass
class Session:
    """What one browser session (or one API client) is working on."""

    image: np.ndarray
    name: str
    model: str
    original: Segmentation
    history: edit.History
    folder: Path | None = None      # this session's temporary files
    photo_png: str | None = None    # the photo, encoded once for the editor's background
    counter: int = 0
    recent: dict = field(default_factory=dict)  # stem -> its latest picture paths

    @property
    def seg(self) -> Segmentation:
        return self.history.current

    def temp_dir(self) -> Path:
        """This session's folder of temporary files, removed by ``cleanup``."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="segcore-session-"))
        return self.folder


def _picture(session: Session, array: np.ndarray, stem: str, fmt: str) -> str:
    """Write a picture for the browser with fast settings and return its path, so Gradio
    serves the file as it is instead of encoding the array again (the costly part of an edit:
    a fresh name each time, because the browser caches by URL)."""
    session.counter += 1
    path = session.temp_dir() / f"{stem}-{session.counter}.{fmt}"
    if fmt == "png":
        Image.fromarray(array).save(path, format="PNG", compress_level=1)
    else:
        Image.fromarray(array).save(path, format="JPEG", quality=92)
    # Gradio copies what a handler returns into its own cache, so older pictures can go;
    # the one before stays in case two events of this session overlap.
    kept = session.recent.setdefault(stem, [])
    kept.append(path)
    while len(kept) > 2:
        kept.pop(0).unlink(missing_ok=True)
    return str(path)


LOG = logging.getLogger("segcore.app")


def user_errors(fn):
    """Show segcore's one-line messages as gr.Error; a user's mistake is one log line on the
    server, never a traceback (Gradio prints one unless told not to)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SegcoreError as e:
            err = gr.Error(str(e), print_exception=False)
        except gr.Error as e:
            e.print_exception = False
            err = e
        err.message = _without_upload_dirs(str(err.message))
        LOG.info("user error in %s: %s", fn.__name__, err.message)
        raise err from None
    return wrapper


def _without_upload_dirs(message: str) -> str:
    """A browser user knows the file by its name, not by Gradio's upload folder."""
    root = os.environ.get("GRADIO_TEMP_DIR") or os.path.join(tempfile.gettempdir(), "gradio")
    return re.sub(re.escape(root.rstrip("/")) + r"/[0-9a-f]+/", "", message)


def cleanup(session: Session | None) -> None:
    """Called by gr.State when a browser session ends: remove its temporary files."""
    if session is not None and session.folder is not None:
        shutil.rmtree(session.folder, ignore_errors=True)


def _need(session: Session | None) -> Session:
    if session is None:
        raise gr.Error("No mask yet: upload an image and press Segment first.")
    return session


def _path_of(file) -> str | None:
    if file is None:
        return None
    return file if isinstance(file, str) else getattr(file, "name", None) or str(file)


# -- the model card ---------------------------------------------------------------------
def model_choices() -> list[str]:
    return list_models()


def model_card(name: str) -> str:
    spec = get_model_spec(name)
    c = spec.card()
    lines = [f"**{name}**: {spec.description}", f"- classes: {c['classes']} ({', '.join(spec.label_set.names[:6])}"
             f"{', ...' if c['classes'] > 6 else ''})"]
    if c["miou"] is not None:
        lines.append(f"- published: mIoU {c['miou']}, pixel accuracy {c['pixel_acc']} ({spec.meta('dataset')})")
    if c["num_params"]:
        lines.append(f"- parameters: {c['num_params'] / 1e6:.1f} M" +
                     (f", {c['gflops']:.1f} GFLOPs" if c["gflops"] else ""))
    if spec.weights is None:
        lines.append("- weights: none needed")
    elif c["weights_present"]:
        lines.append(f"- weights: `{c['weights_file']}` found on this machine")
    else:
        from segcore.models.weights import checkpoint_dir
        lines.append(f"- weights: **missing**: put `{c['weights_file']}` in `{checkpoint_dir()}` or upload the "
                     "file below; `grabcut` needs no weights")
    return "\n".join(lines)


def _model(name: str, weights: str | None):
    """Loaded once per (name, weights file) for all sessions; bounded, safe across threads."""
    return cached_model(name, weights=weights)


# -- pictures of the current state ------------------------------------------------------
def legend_html(seg: Segmentation) -> str:
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
        f'<span style="width:14px;height:14px;background:{c};border:1px solid #333;display:inline-block"></span>'
        f"{html.escape(n)} <span style='opacity:.7'>{s * 100:.1f}%</span></div>"
        for n, c, s in render.legend_entries(seg))
    return f'<div class="segcore-legend">{rows}</div>'


def palette_html(seg: Segmentation) -> str:
    """Brush colours with their class names, in the editor's order."""
    ls = seg.label_set
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:4px;margin:2px 8px 2px 0">'
        f'<span style="width:14px;height:14px;background:{ls.hex_color(i)};border:1px solid #333;'
        f'display:inline-block"></span>{html.escape(n)}</span>'
        for i, n in [*enumerate(ls.names), (ls.void_index, "void")])
    return f'<div class="segcore-palette"><b>Brush colours:</b> {items}</div>'


def shares_table(seg: Segmentation) -> list[list]:
    return [[name, round(share * 100, 2)] for _, name, share in seg.class_shares()]


def editor_update(session: Session):
    seg = session.seg
    h, w = seg.shape
    colors = [(seg.label_set.hex_color(i), BRUSH_OPACITY) for i in range(len(seg.label_set))]
    colors.append((seg.label_set.hex_color(seg.label_set.void_index), BRUSH_OPACITY))
    # format="png" on the update too: WebP (the default) shifts layer colours off the palette.
    return gr.ImageEditor(
        format="png",
        value={"background": session.photo_png, "layers": [_picture(session, edit.mask_layer(seg), "layer", "png")],
               "composite": None},
        canvas_size=(w, h), brush=gr.Brush(colors=colors, default_color=colors[min(1, len(colors) - 1)], default_size=12,
                                           color_mode="fixed"))


def views(session: Session, opacity: float = 0.5):
    """(overlay, legend, shares, editor, palette, class choices, status) after any change."""
    seg = session.seg
    names = list(seg.label_set.names)
    status = (f"{session.name}: {seg.shape[1]}x{seg.shape[0]}, model {session.model}; "
              f"{'undo available' if session.history.can_undo else 'no edits yet'}")
    if session.photo_png is None:
        session.photo_png = _picture(session, session.image, "photo", "png")
    overlay = _picture(session, render.overlay(session.image, seg, opacity), "overlay", "jpg")
    return (overlay, legend_html(seg), shares_table(seg),
            editor_update(session), palette_html(seg), gr.Dropdown(choices=names, value=names[-1]),
            gr.Dropdown(choices=names, value=names[0]), status)


# -- segment ------------------------------------------------------------------------------
@user_errors
def segment(image_path, model_name, weights_file, opacity, progress=gr.Progress()):
    if not image_path:
        raise gr.Error("Upload an image first (or pick an example).")
    progress(0.05, desc="reading image")
    rgb = load(_path_of(image_path))
    progress(0.2, desc=f"loading {model_name}")
    try:
        model = _model(model_name, _path_of(weights_file))
    except WeightsError as e:
        raise gr.Error(f"{e}; in the app: upload the file under 'Weights file', or choose grabcut, "
                       "which needs no weights.") from None
    progress(0.4, desc="segmenting")
    seg = model.predict(rgb)
    name = Path(_path_of(image_path)).stem or "image"
    session = Session(rgb, name, model_name, seg, edit.History(seg))
    return (session, *views(session, opacity))


@user_errors
def rerender(session, opacity):
    session = _need(session)
    return render.overlay(session.image, session.seg, opacity)


# -- correct ------------------------------------------------------------------------------
def _changed(session: Session, labels: np.ndarray, opacity: float):
    session.history.push(session.seg.with_labels(labels))
    return (session, *views(session, opacity))


@user_errors
def apply_edit(editor_value, erase_to, session, opacity=0.5):
    session = _need(session)
    layer = _editor_layer(editor_value, session)
    void = session.seg.label_set.void_index
    labels = edit.layer_to_labels(layer, session.seg, erase_to=void if erase_to == "void" else 0)
    return _changed(session, labels, opacity)


@user_errors
def undo(session, opacity=0.5):
    session = _need(session)
    session.history.undo()
    return (session, *views(session, opacity))


@user_errors
def redo(session, opacity=0.5):
    session = _need(session)
    session.history.redo()
    return (session, *views(session, opacity))


def _class(session: Session, name: str) -> int:
    return session.seg.label_set.index_of(name)


@user_errors
def fill_holes(session, class_name, opacity=0.5):
    session = _need(session)
    return _changed(session, edit.fill_holes(session.seg.labels, _class(session, class_name)), opacity)


@user_errors
def remove_islands(session, min_size, opacity=0.5):
    session = _need(session)
    return _changed(session, edit.remove_islands(session.seg.labels, int(min_size)), opacity)


@user_errors
def replace_class(session, src, dst, opacity=0.5):
    session = _need(session)
    return _changed(session, edit.replace_class(session.seg.labels, _class(session, src), _class(session, dst)), opacity)


@user_errors
def grabcut_box(session, x0, y0, x1, y1, class_name, opacity=0.5):
    session = _need(session)
    labels = edit.grabcut_in_box(session.image, session.seg.labels, (x0, y0, x1, y1), _class(session, class_name))
    return _changed(session, labels, opacity)


def _editor_layer(editor_value, session: Session) -> np.ndarray:
    layers = (editor_value or {}).get("layers") or []
    if not layers or layers[0] is None:
        raise gr.Error("The editor has no mask layer: press Segment again to restore it.")
    layer = layers[0]
    if isinstance(layer, str):
        layer = np.asarray(Image.open(layer).convert("RGBA"))
    if layer.ndim != 3 or layer.shape[2] != 4:
        raise gr.Error(f"The edited layer must be RGBA, got shape {layer.shape}.")
    if layer.shape[:2] != session.seg.shape:
        raise gr.Error(f"The edited layer is {layer.shape[1]}x{layer.shape[0]} but the image is "
                       f"{session.seg.shape[1]}x{session.seg.shape[0]}: edit on the image's own canvas.")
    return layer


@user_errors
def click_segment(session, points, class_name, opacity=0.5):
    """Positive (X,Y,1) and negative (X,Y,0) clicks grow or cut a class: GrabCut, or for the
    person class the selfie model where its file is here."""
    session = _need(session)
    clicks = interactive.parse_points(points or "")
    cls = _class(session, class_name)
    person = None
    if session.seg.label_set.names[cls] == "person":
        person, _, _ = cutout_lib.choose_person_model()
    labels = interactive.click_segment(session.image, session.seg.labels, clicks, cls, person_model=person)
    return _changed(session, labels, opacity)


@user_errors
def scribble(editor_value, session, class_name, opacity=0.5):
    """Strokes in the class's colour are its seeds; strokes in background colour are not it."""
    session = _need(session)
    cls = _class(session, class_name)
    painted, stroke_cls = edit.layer_strokes(_editor_layer(editor_value, session), session.seg)
    fg, bg = painted & (stroke_cls == cls), painted & (stroke_cls == 0)
    labels = interactive.scribble_segment(session.image, session.seg.labels, fg, bg, cls)
    return _changed(session, labels, opacity)


@user_errors
def snap_strokes(editor_value, session, opacity=0.5):
    """Widen each painted stroke to the superpixels it touches, in the stroke's class."""
    session = _need(session)
    painted, stroke_cls = edit.layer_strokes(_editor_layer(editor_value, session), session.seg)
    if not painted.any():
        raise gr.Error("Paint a stroke in the editor first, then snap it.")
    labels = session.seg.labels.copy()
    for cls in np.unique(stroke_cls[painted]):
        labels[interactive.snap_to_superpixels(session.image, painted & (stroke_cls == cls))] = cls
    return _changed(session, labels, opacity)


# -- export / import -----------------------------------------------------------------------
@user_errors
def export(session, fmt):
    session = _need(session)
    seg, name = session.seg, session.name
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=session.temp_dir()))
    if fmt == "VOC PNG":
        return str(voc.write_label_png(folder / f"{name}.png", seg.labels, seg.label_set))
    if fmt == "VOC dataset (zip)":
        root = voc.write_voc_dataset(folder / "VOC", [(name, session.image, seg.labels)], seg.label_set)
        out = folder / f"{name}_voc.zip"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    z.write(p, p.relative_to(root.parent))
        return str(out)
    if fmt == "COCO JSON":
        return str(coco.write_coco(folder / f"{name}_coco.json", [(f"{name}.jpg", seg.labels)], seg.label_set))
    if fmt == "labelme JSON":
        return str(labelme.write_labelme(folder / f"{name}.json", seg.labels, seg.label_set,
                                         f"{name}.jpg", session.image))
    if fmt == "overlay PNG":
        out = folder / f"{name}_overlay.png"
        Image.fromarray(render.overlay(session.image, seg)).save(out)
        return str(out)
    raise gr.Error(f"Unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}.")


@user_errors
def import_labels(file, session, opacity=0.5):
    session = _need(session)
    path = _path_of(file)
    if not path:
        raise gr.Error("Choose a VOC PNG, COCO JSON or labelme JSON file to import.")
    ls = session.seg.label_set
    if path.lower().endswith(".json"):
        data = read_json(path)
        if labelme.is_labelme(data):
            labels = labelme.labelme_to_labels(data, ls, Path(path).name)
        elif coco.is_coco(data):
            maps, _ = coco.from_coco(data, ls, Path(path).name)
            match = [k for k in maps if Path(k).stem == session.name]
            if not match and len(maps) != 1:
                raise gr.Error(f"{Path(path).name} has no image named {session.name}.*")
            labels = maps[match[0] if match else next(iter(maps))]
        else:
            raise gr.Error(f"{Path(path).name} is neither COCO nor labelme JSON.")
    else:
        labels = voc.read_label_map(path, ls, Path(path).name)
    if labels.shape != session.seg.shape:
        raise gr.Error(f"{Path(path).name} is {labels.shape[1]}x{labels.shape[0]} but the image is "
                       f"{session.seg.shape[1]}x{session.seg.shape[0]}.")
    return _changed(session, labels, opacity)


# -- evaluate ------------------------------------------------------------------------------
@user_errors
def evaluate(gt_file, session):
    """Ground truth from a file, or (none given) the corrected mask judged against the model."""
    session = _need(session)
    ls = session.seg.label_set
    if _path_of(gt_file):
        gt_name = Path(_path_of(gt_file)).name
        truth, note = voc.binary_mask_classes(voc.read_label_map(_path_of(gt_file), ls, gt_name), ls, gt_name)
        if note:
            gr.Warning(note)
        pred, what = session.seg.labels, f"current mask vs {Path(_path_of(gt_file)).name}"
        if truth.shape != pred.shape:
            raise gr.Error(f"The ground truth is {truth.shape[1]}x{truth.shape[0]} but the mask is "
                           f"{pred.shape[1]}x{pred.shape[0]}.")
    else:
        truth, pred = session.seg.labels, session.original.labels
        what = "model's prediction vs the corrected mask"
    try:
        cm = metrics.confusion_matrix(truth, pred, len(ls), ls.void_index)
    except FormatError as e:
        raise gr.Error(str(e)) from None
    rep = cm.report(ls.names)
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    summary = (f"**{what}**: pixel accuracy {fmt(rep['pixel_accuracy'])}, mean accuracy "
               f"{fmt(rep['mean_accuracy'])}, mIoU {fmt(rep['miou'])}, fwIoU {fmt(rep['fwiou'])}, "
               f"mean Dice {fmt(rep['mean_dice'])}")
    table = [[n, r["iou"], r["dice"], r["precision"], r["recall"], r["support"]] for n, r in rep["per_class"].items()]
    picture = np.asarray(Image.open(io.BytesIO(plots.confusion_png(cm, ls.names))).convert("RGB"))
    return summary, table, picture
