"""The Portrait panel: cut the person of the current image out onto a new background."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import gradio as gr
from PIL import Image

from segcore import portrait as cutout_lib
from segcore.errors import WeightsError
from segcore.models.registry import SEGMENT, get, names

from .actions import action, current_session
from .session import UserError
from .weights import give, given, path_of

CURRENT = "the current mask"
AUTO = "auto"
BACKGROUNDS = ["transparent", "colour", "blur", "image"]


def person_sources() -> list[str]:
    """A person model (auto: the registry's best at hand, selfie where its file is here or can be
    downloaded, else GrabCut), GrabCut, the registry's other models with a person class, and
    the current mask (its person class, else the class selected)."""
    models = [n for n in names(SEGMENT) if n != "grabcut" and get(n).label_set is not None
              and "person" in get(n).label_set.names]
    return [AUTO, "grabcut", *models, CURRENT]


def _mask_of_current(app, s):
    names_ = s.seg.label_set.names
    cls = names_.index("person") if "person" in names_ and (s.labels == names_.index("person")).any() else app.cls
    mask = s.labels == cls
    if not mask.any():
        raise UserError(f"The current mask has no {names_[cls]!r} pixels: segment or paint the person first, or "
                        "choose a model under 'Person from'.")
    return mask


@action(outputs=2)
def cutout(app, source, weights_file, background, colour, background_file, matting="guided", value=None,
           progress=gr.Progress()):
    s = current_session(app)
    rgb, ws = s.rgb, app.workspace
    source = source or AUTO
    if source == CURRENT:
        mask = _mask_of_current(app, s)
    else:
        if weights_file is not None:   # given here once, it serves every panel (Model details too)
            give(app, weights_file, None if source == AUTO else source)
        weights = None if source in (AUTO, "grabcut") else given(app).get(source)

        def downloading(received, total):
            progress(received / total if total else None, desc="downloading the person model's weights")

        try:
            loaded, used, note = cutout_lib.choose_person_model(source, weights, progress=downloading)
        except WeightsError as e:
            raise UserError(f"{e}; upload the file under 'Weights file', or choose auto or grabcut.") from None
        if note:
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
