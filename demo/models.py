"""The model panel's handlers: segment the current image, pre-label the dataset."""

from __future__ import annotations

import gradio as gr

from segcore.dataset.prelabel import prelabel as prelabel_items
from segcore.errors import WeightsError
from segcore.models.cache import cached_model
from segcore.models.registry import get_model_spec, list_models

from .session import UserError
from .uploads import add_to_uploads
from .workspace import _session, action


def model_choices() -> list[str]:
    return list_models()


def model_card(name: str) -> str:
    spec = get_model_spec(name)
    c = spec.card()
    lines = [f"**{name}**: {spec.description}", f"- classes: {c['classes']} ({', '.join(spec.label_set.names[:6])}"
             f"{', ...' if c['classes'] > 6 else ''})"]
    if c["miou"] is not None:
        lines.append(f"- published: mIoU {c['miou']}, pixel accuracy {c['pixel_acc']} ({spec.meta('dataset')})")
    if spec.weights is None:
        lines.append("- weights: none needed")
    elif c["weights_present"]:
        lines.append(f"- weights: `{c['weights_file']}` found on this machine")
    else:
        lines.append(f"- weights: **missing** (`{c['weights_file']}`): upload the file under 'Weights file', "
                     "or choose grabcut, which needs none")
    return "\n".join(lines)


def _path_of(file) -> str | None:
    if file is None:
        return
    return file if isinstance(file, str) else getattr(file, "name", None) or str(file)


def load_model(name: str, weights=None):
    """Loaded once per (name, weights file) for all sessions; bounded, safe across threads."""
    if name not in list_models():
        raise UserError(f"Unknown model {name!r}; choose one from the list.")
    try:
        return cached_model(name, weights=_path_of(weights))
    except WeightsError as e:
        raise UserError(f"{e}. Upload the weights file under 'Weights file', or choose grabcut, "
                        "which needs no weights.") from None


@action()
def segment(app, image, model_name, weights, value=None, progress=gr.Progress()):
    """Segment the current image with the model (an undoable step). With an image given (the
    API's way, as before), it first joins this session's images and becomes current."""
    if image:
        if not app.uploads:
            raise UserError("This app edits a dataset; segment its images, not an upload.")
        add_to_uploads(app, [_path_of(image)])
    _session(app)
    progress(0.2, desc=f"loading {model_name}")
    model = load_model(model_name, weights)
    progress(0.4, desc="segmenting")
    app.workspace.predict_current(model)


@action()
def prelabel(app, model_name, weights, scope, value=None, progress=gr.Progress()):
    """Pre-label the current image, or every image without labels, with the model."""
    ws = app.workspace
    if scope == "current image":
        _session(app)
        ws.predict_current(load_model(model_name, weights))
        return
    if not len(ws):
        raise UserError("No images to pre-label yet.")
    model = load_model(model_name, weights)
    ws.save()
    todo = [i for i in range(len(ws.ds)) if ws.ds.status(i) == "unlabelled"]
    if not todo:
        gr.Info("Every image has labels already; nothing to pre-label.")
        return
    failed = []
    with ws.lock:
        steps = prelabel_items(ws.ds, model, indices=todo)
        for step in progress.tqdm(steps, total=len(todo), desc="pre-labelling"):
            if step.outcome == "failed":
                failed.append(f"{step.name}: {step.message}")
    if ws.index is not None and ws.index in todo:
        ws.open(ws.index)   # show the new labels of the open item (it had none)
    gr.Info(f"Pre-labelled {len(todo) - len(failed)} images with {model_name}"
            + (f"; {len(failed)} failed, e.g. {failed[0]}" if failed else "") + ".")
