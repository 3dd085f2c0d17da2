"""The Portrait panel: cut the person out onto a new background (wiring only)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import gradio as gr
from PIL import Image

from segcore import portrait as cutout_lib
from segcore.edit.interactive import parse_points
from segcore.image import load
from segcore.models.registry import get_model_spec, list_models

from .handlers import _path_of, user_errors

def person_models() -> list[str]:
    """Models that know a person: auto (selfie where its file is here, else grabcut), grabcut
    (works everywhere), then the rest."""
    return ["auto", "grabcut"] + [n for n in list_models()
                                  if n != "grabcut" and "person" in get_model_spec(n).label_set.names]


def cleanup_folder(folder) -> None:
    """Called by gr.State when a browser session ends: remove its portrait results."""
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


BACKGROUNDS = ["transparent", "colour", "blur", "image"]


@user_errors
def cutout(folder, image_path, model_name, weights_file, box, points, background, colour, background_file,
           matting="guided", progress=gr.Progress()):
    if not image_path:
        raise gr.Error("Upload a portrait first.")
    progress(0.1, desc="reading image")
    rgb = load(_path_of(image_path))
    box_value = None
    if box and str(box).strip():
        parts = str(box).split(",")
        if len(parts) != 4:
            raise gr.Error(f"A box is x0,y0,x1,y1 in pixels; got {box!r}.")
        box_value = parts
    clicks = parse_points(points or "")
    progress(0.3, desc="finding the person")
    loaded, used, note = cutout_lib.choose_person_model(model_name or "auto", _path_of(weights_file))
    if note:
        gr.Info(note.replace("or give the file", "or upload it under 'Weights file'"))
    mask = cutout_lib.person_mask(rgb, used, box=box_value, points=clicks, loaded=loaded)
    progress(0.6, desc="matting the edges")
    c = cutout_lib.cut(rgb, mask, matting)
    if background == "colour":
        spec = colour if isinstance(colour, str) and colour.startswith("#") else "#ffffff"
        spec = spec[:7]
    elif background == "image":
        spec = _path_of(background_file)
        if not spec:
            raise gr.Error("Choose a background image, or another background.")
    elif background in ("transparent", "blur"):
        spec = background
    else:
        raise gr.Error(f"Unknown background {background!r}; choose one of: {', '.join(BACKGROUNDS)}.")
    picture = cutout_lib.composite(c, spec, photo=rgb)
    name = Path(_path_of(image_path)).stem or "portrait"
    # In this session's portrait folder, removed with the session; only the latest two
    # results are kept there, so cutting out again and again does not pile up files.
    folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="segcore-portrait-"))
    for old in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    out = Path(tempfile.mkdtemp(prefix="cutout-", dir=folder)) / f"{name}_cutout.png"
    Image.fromarray(picture).save(out, format="PNG")
    return str(out), str(out), str(folder)
