"""Helpers on the selected class: fill its holes, remove small islands, change it to another."""

from __future__ import annotations

import gradio as gr

from segcore import edit

from .actions import action, class_index, current_session
from .session import UserError

#: The helper menu: ``(label, value)``; the values are the API's and stay as they are.
HELPERS = [("fill holes in the class", "fill_holes"), ("remove islands smaller than (pixels)", "remove_islands"),
           ("change the class to", "change_class")]


@action()
def helper(app, action, min_size, target, value=None):
    """Fill holes in the selected class, remove small islands, or change the class to another."""
    s = current_session(app)
    if action == "fill_holes":
        new = edit.fill_holes(s.labels, app.cls)
    elif action == "remove_islands":
        new = edit.remove_islands(s.labels, int(min_size or 0))
    elif action == "change_class":
        new = edit.replace_class(s.labels, app.cls, class_index(app, target))
    else:
        raise UserError(f"Unknown helper {action!r}; choose one of the list.")
    if (new != s.labels).any():
        s.push(new)
        app.workspace.changed(tool=action.replace("_", " "))
    else:
        gr.Info("Nothing to change.")
