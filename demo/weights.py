"""Weights files a session gives (Model details, the Portrait panel): given once, used by every
panel. A model's published file (known by its checksum) goes into the cache folder, where every
session and the command line find it from then on; a file of one's own (a fine-tuned
checkpoint) serves this session's panels for the model it is for (its file name, else the
model chosen in the menu)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from segcore.errors import WeightsError
from segcore.models.registry import get
from segcore.models.weights import checkpoint_dir, identify, install

__all__ = ["given", "give", "path_of"]


def path_of(file) -> str | None:
    if file is None:
        return None
    return file if isinstance(file, str) else getattr(file, "name", None) or str(file)


def given(app) -> dict[str, Path]:
    """``{entry: file}`` of this session's own weights files."""
    from .session import AppSession

    return app.given_weights if isinstance(app, AppSession) else {}


def give(app, file, model_name: str | None = None) -> str | None:
    """Take an uploaded weights file: install a published one, keep one's own for its entry.
    Returns the entry's name (None: nothing given, or no model it could be for)."""
    path = path_of(file)
    if not path:
        return None
    name, published = identify(path, hint=str(model_name or "") or None)
    if name is None:
        gr.Warning(f"{Path(path).name} is not the file of a model here; choose its model in the menu first, "
                   "then upload it again.")
        return None
    title = get(name).title
    if published:
        try:
            dest = install(path, name)
        except (OSError, WeightsError) as e:
            gr.Warning(f"{Path(path).name} could not be put in the weights folder ({e}); this session uses it.")
            given(app)[name] = Path(path)
            return name
        given(app).pop(name, None)
        gr.Info(f"{title}: the published {dest.name} is now in the weights folder ({checkpoint_dir()}); "
                "every panel uses it.")
    else:
        given(app)[name] = Path(path)
        gr.Info(f"{title}: {Path(path).name} is this session's weights for it, in every panel.")
    return name


def upload(app, file, model_name):
    """Model details' 'Weights file': given once for every panel. Returns the model card and the
    prompters' card, both as they are now."""
    from . import models, prompters

    give(app, file, model_name)
    return models.model_card(model_name, app), prompters.card(app)
