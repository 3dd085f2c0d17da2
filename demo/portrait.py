"""The Portrait panel: cut the person of the current image out onto a new background."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PIL import Image

from segcore import portrait as cutout_lib
from segcore.models.registry import get_model_spec, list_models

from .actions import action, current_session
from .models import path_of
from .session import UserError

CURRENT = "the current mask"
BACKGROUNDS = ["transparent", "colour", "blur", "image"]


def person_sources() -> list[str]:
    """The current mask (its person class, else the class selected), a person model (auto:
    selfie where its file is here, else GrabCut), GrabCut, then other models with a person."""
    return [CURRENT, "auto", "grabcut"] + [n for n in list_models()
                                           if n != "grabcut" and "person" in get_model_spec(n).label_set.names]


@action(outputs=2)
def cutout(app, source, weights_file, background, colour, background_file, matting="guided", value=None):
    s = current_session(app)
    rgb, ws = s.rgb, app.workspace
    if source == CURRENT:
        names = s.seg.label_set.names
        cls = names.index("person") if "person" in names and (s.labels == names.index("person")).any() else app.cls
        mask = s.labels == cls
        if not mask.any():
            raise UserError(f"The current mask has no {names[cls]!r} pixels: segment or paint the person "
                            "first, or choose a model under 'Person from'.")
    else:
        loaded, used, note = cutout_lib.choose_person_model(source or "auto", path_of(weights_file))
        if note:
            import gradio as gr
            gr.Info(note.replace("or give the file", "or upload it under 'Weights file'"))
        mask = cutout_lib.person_mask(rgb, used, loaded=loaded)
    c = cutout_lib.cut(rgb, mask, matting)
    if background == "colour":
        spec = (colour if isinstance(colour, str) and colour.startswith("#") else "#ffffff")[:7]
    elif background == "image":
        spec = path_of(background_file)
        if not spec:
            raise UserError("Choose a background image, or another background.")
    elif background in ("transparent", "blur"):
        spec = background
    else:
        raise UserError(f"Unknown background {background!r}; choose one of: {', '.join(BACKGROUNDS)}.")
    picture = cutout_lib.composite(c, spec, photo=rgb)
    # In this session's folder, removed with the session; only the latest two results stay.
    kept = sorted(app.folder.glob("cutout-*"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    out = Path(tempfile.mkdtemp(prefix="cutout-", dir=app.folder)) / f"{Path(ws.name).stem}_cutout.png"
    Image.fromarray(picture).save(out, format="PNG")
    return str(out), str(out)
