"""Helpers on the selected class: fill its holes, remove small islands, change it to another."""

from __future__ import annotations

import gradio as gr

from segcore import edit

from .session import UserError
from .workspace import _class_index, _session, action

HELPERS = ["fill holes in the class", "remove islands smaller than (pixels)", "change the class to"]


@action()
def helper(app, action, min_size, target, value=None):
    """Fill holes in the selected class, remove small islands, or change the class to another."""
    s = _session(app)
    if action == HELPERS[0]:
        new = edit.fill_holes(s.labels, app.cls)
    elif action == HELPERS[1]:
        new = edit.remove_islands(s.labels, int(min_size or 0))
    elif action == HELPERS[2]:
        new = edit.replace_class(s.labels, app.cls, _class_index(app, target))
    else:
        raise UserError(f"Unknown helper {action!r}; choose one of the list.")
    if (new != s.labels).any():
        s.push(new)
        app.workspace.changed()
    else:
        gr.Info("Nothing to change.")
