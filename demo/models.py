"""The model panel's handlers: segment the current image, pre-label the dataset. The menu
holds the registry's models and the served dataset's own (``trained:<stem>``, trained in the
Train panel and kept in its ``.segcore/models/``)."""

from __future__ import annotations

import gradio as gr

from segcore.dataset.prelabel import prelabel as prelabel_items
from segcore.errors import ModelError, WeightsError
from segcore.models.cache import cached_model
from segcore.models.choose import PROMPT_ONLY, best_model
from segcore.models.registry import get_model_spec, list_models
from segcore.train.job import PREFIX, resolve_trained, trained_models

from .actions import action, current_session
from .session import UserError
from .uploads import add_to_uploads


SCOPES = ("all unlabelled", "unlabelled and predicted", "current image")


def model_choices(ds=None) -> list:
    """The menu: ``(label, name)`` pairs, the dataset's trained models first (newest first)."""
    own = []
    if ds is not None:
        for m in trained_models(ds):
            best = m.info.get("best_miou")
            own.append((f"{m.name[len(PREFIX):]} · this dataset's" + (f", val mIoU {best:.2f}" if best is not None else ""),
                        m.name))
    return own + [(n, n) for n in list_models() if n not in PROMPT_ONLY]


def recall_model(name, ds=None):
    """The model menu at page load: its choices as they are now, showing the model the browser
    remembers (``name``) where it is still a choice, else the best at hand."""
    name = str(name or "")
    choices = model_choices(ds)          # read again: the dataset's models trained since the start
    value = name if name in {n for _, n in choices} else default_model(ds)
    return gr.update(choices=choices, value=value)


def dataset_of(state):
    """The dataset a session's state works on (its uploads' or the served one), or None."""
    served = getattr(state, "served", None)
    if served is None:
        return None
    ws = getattr(state, "workspace", None)
    return ws.ds if ws is not None else served.dataset


def model_card(name: str, state=None) -> str:
    if not name:
        return ("No model at hand for these classes: choose one (its weights may need uploading below), or train "
                "one on the reviewed items in the Train tab.")
    if str(name).startswith(PREFIX):
        ds = dataset_of(state)
        if ds is None:
            return f"**{name}**: a model trained on this dataset"
        try:
            m = resolve_trained(ds, name)
        except ModelError as e:
            return str(e)
        info, best = m.info, m.info.get("best_miou")
        names = ds.label_set.names if ds.label_set else ()
        return "\n".join([
            f"**{name}**: {m.model} trained here on {info.get('train_items')} items "
            f"({', '.join(info.get('statuses', []))}), {info.get('epoch')} epochs, {info.get('state')}",
            f"- classes: the dataset's {len(names)} ({', '.join(names[:6])}{', ...' if len(names) > 6 else ''})",
            f"- validation mIoU: {best:.3f} ({info.get('val_items')} items held out)" if best is not None
            else "- validation: none (no items held out)",
            f"- checkpoint: `{m.path.name}` in the dataset's `.segcore/models/`"])
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


def path_of(file) -> str | None:
    if file is None:
        return
    return file if isinstance(file, str) else getattr(file, "name", None) or str(file)


def load_model(name: str, weights=None, ds=None):
    """Loaded once per (name, weights file) for all sessions; bounded, safe across threads.
    ``trained:<stem>`` is a model of the dataset ``ds``."""
    name = str(name or "")
    if name.startswith(PREFIX):
        if ds is None:
            raise UserError("No dataset here to have trained models.")
        if weights:
            raise UserError(f"{name} brings its own checkpoint; clear 'Weights file'.")
        try:
            m = resolve_trained(ds, name)
        except ModelError as e:
            raise UserError(str(e)) from None
        name, weights = m.model, str(m.path)
    elif name not in list_models():
        raise UserError(f"Unknown model {name!r}; choose one from the list.")
    try:
        return cached_model(name, weights=path_of(weights))
    except WeightsError as e:
        raise UserError(f"{e}. Upload the weights file under 'Weights file', or choose a model whose weights "
                        "are here (see Model details), or correct with the tools.") from None


def default_model(ds) -> str | None:
    """The Segment menu's first choice for a dataset: the best model at hand for its classes."""
    if ds is None:
        return None
    return best_model(ds.label_set, [m.name for m in trained_models(ds)])


def _check_segment_model(app, model_name) -> str:
    name = str(model_name or "").strip()
    if not name:
        best = default_model(app.workspace.ds)
        if best is None:
            raise UserError("No model at hand for this dataset's classes: train one in the Train tab, choose a "
                            "model and upload its weights under 'Weights file', or correct with the tools.")
        return best
    if name in PROMPT_ONLY:
        raise UserError(f"{name} needs a prompt: draw a box (X) or click (Q) on the object instead; "
                        "Segment needs a model that knows the classes.")
    return name


@action()
def segment(app, image, model_name, weights, replace=False, value=None, progress=gr.Progress()):
    """Segment the current image with the model (an undoable step): it fills only the
    unlabelled pixels unless ``replace``. With an image given (the API's way, as before), it
    first joins this session's images and becomes current."""
    if image:
        if not app.uploads:
            raise UserError("This app edits a dataset; segment its images, not an upload.")
        add_to_uploads(app, [path_of(image)])
    current_session(app)
    model_name = _check_segment_model(app, model_name)
    progress(0.2, desc=f"loading {model_name}")
    model = load_model(model_name, weights, app.workspace.ds)
    progress(0.4, desc="segmenting")
    app.workspace.predict_current(model, replace=bool(replace))
    n = app.workspace.session.last_changed
    if not n:
        gr.Info(f"Segment ({model_name}) changed nothing: every pixel is labelled already. Tick 'Segment "
                "replaces all labels' to replace them.")
    else:
        gr.Info(f"Segmented with {model_name}: {n:,} pixels" + ("" if replace else " that were unlabelled") + ".")


@action()
def prelabel(app, model_name, weights, scope, value=None, progress=gr.Progress()):
    """Pre-label the current image, every image without labels, or those and the ones a
    model labelled (``"unlabelled and predicted"``: edited and reviewed ones are never
    touched). Each item records the model's name and its confidence."""
    ws = app.workspace
    if scope not in SCOPES:
        raise UserError(f"scope is one of: {', '.join(SCOPES)}")
    if scope == "current image":
        current_session(app)
        model_name = _check_segment_model(app, model_name)
        ws.predict_current(load_model(model_name, weights, ws.ds))
        return
    if not len(ws):
        raise UserError("No images to pre-label yet.")
    model_name = _check_segment_model(app, model_name)
    model = load_model(model_name, weights, ws.ds)
    ws.save()
    wanted = ("unlabelled", "predicted") if scope == "unlabelled and predicted" else ("unlabelled",)
    with ws.lock:
        todo = [i for i in range(len(ws.ds)) if ws.ds.status(i) in wanted]
    if not todo:
        gr.Info("Every image has labels already; nothing to pre-label.")
        return
    failed = []
    with ws.lock:
        steps = prelabel_items(ws.ds, model, indices=todo, overwrite_predicted="predicted" in wanted,
                               model_name=model_name, by=ws.user)
        for step in progress.tqdm(steps, total=len(todo), desc="pre-labelling"):
            if step.outcome == "failed":
                failed.append(f"{step.name}: {step.message}")
    if ws.index is not None and ws.index in todo:
        ws.open(ws.index)   # show the new labels of the open item (it had none)
    gr.Info(f"Pre-labelled {len(todo) - len(failed)} images with {model_name}"
            + (f"; {len(failed)} failed, e.g. {failed[0]}" if failed else "") + ".")
