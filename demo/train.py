"""The Train panel's handlers: train the dataset's own model in a child process, follow and
stop it, pre-label with it, and review the least sure items first. The training itself, its
one-per-dataset rule and its progress file are segcore.train.job's; this is wiring only."""

from __future__ import annotations

import json

import gradio as gr
from PIL import Image

from segcore.dataset.prelabel import least_sure_first, uncertain_overlay, uncertain_pixels
from segcore.models.registry import get_model_spec, list_models
from segcore.train.job import DEFAULT_MODEL, PREFIX, start_training, stop_training, training_status
from segcore.train.plot import curve_png

from . import models as hm
from .actions import action, current_session
from .session import AppSession, UserError, user_errors

INCLUDE = ("reviewed", "edited", "predicted")
ORDERS = ("dataset order", "least sure first")
STATUS_KEYS = ("state", "model", "arch", "epoch", "loss", "val_miou", "best_miou", "time_left", "message",
               "history", "train_items", "val_items")


def architectures() -> list[str]:
    """Registry models with a network to train, the panel's default first."""
    names = [n for n in list_models() if get_model_spec(n).trainable]
    smp = [n for n in names if get_model_spec(n).family == "smp"]
    rest = [n for n in names if n not in smp]
    return sorted(smp, key=lambda n: (n != DEFAULT_MODEL, n)) + rest


def _public(rec: dict) -> dict:
    """What ``/train_status`` says: ``model`` is the name to pick the trained model by."""
    out = {k: rec.get(k) for k in STATUS_KEYS if k in rec or k in ("state", "model")}
    out["arch"] = rec.get("model")
    out["model"] = rec.get("name")
    return out


def _markdown(rec: dict) -> str:
    state = rec.get("state", "none")
    if state == "none":
        return "No training on this dataset yet."
    name = rec.get("name", "")[len(PREFIX):]
    bits = [f"**{name}** {state}", f"epoch {rec.get('epoch', 0)}"]
    if rec.get("loss") is not None:
        bits.append(f"loss {rec['loss']:.3f}")
    if rec.get("val_miou") is not None:
        bits.append(f"val mIoU {rec['val_miou']:.3f} (best {rec.get('best_miou', 0):.3f})")
    left = rec.get("time_left")
    if state == "running" and isinstance(left, (int, float)):
        bits.append(f"{int(left // 60)}:{int(left % 60):02d} left")
    line = " · ".join(bits)
    msg = rec.get("message")
    return line + (f"  \n{msg}" if msg else "")


def _plot(app, rec: dict):
    """The curve as a picture file, redrawn only when an epoch was added."""
    history = rec.get("history") or []
    key = (rec.get("name"), len(history))
    if app.train_plot_key == key:
        return gr.skip()
    path = app.picture_path(".png")
    path.write_bytes(curve_png(history))
    app.train_plot_key = key
    return str(path)


def _dataset(app):
    return app.workspace.ds


@action(outputs=3)
def train(app, model_name, minutes, include, epochs=0, held_out=0.1, value=None):
    """Start training ``model_name`` (an architecture) on the items of ``include``; returns
    ``(state, status JSON, progress)``."""
    app.workspace.save()    # the open item's last edit is on disk before the child reads it
    if isinstance(include, str):
        include = [s.strip() for s in include.split(",") if s.strip()]
    unknown = [s for s in include or () if s not in INCLUDE]
    if unknown:
        raise UserError(f"include is some of {', '.join(INCLUDE)}, not {', '.join(map(str, unknown))}")
    try:
        minutes = float(minutes or 0)
        epochs = int(epochs or 0)
        held_out = float(held_out if held_out is not None else 0.1)
    except (TypeError, ValueError):
        raise UserError("minutes, epochs and the held-out share are numbers") from None
    if model_name not in architectures():
        raise UserError(f"{model_name!r} cannot be trained here; choose one of {', '.join(architectures()[:4])}, ...")
    rec = start_training(_dataset(app), model=model_name, minutes=minutes or None, epochs=epochs or None,
                         statuses=include, val_share=held_out)
    gr.Info(f"Training {rec['name'][len(PREFIX):]} on {rec['train_items']} items"
            + (f" for {minutes:g} min" if minutes else f" for {epochs} epochs") + ".")
    return app, json.dumps(_public(rec)), _markdown(rec)


@user_errors(1)
def train_status(state) -> str:
    """The latest training of this dataset as a JSON string (state running / done / failed /
    stopped, or none; epoch, loss, val_miou, model: the name to pick it by)."""
    ds = hm.dataset_of(state)
    if ds is None:
        return json.dumps({"state": "none", "model": None, "message": "no images yet"})
    return json.dumps(_public(training_status(ds)))


@action(outputs=3)
def stop(app, value=None):
    """Stop the running training; it keeps its best checkpoint."""
    rec = stop_training(_dataset(app), wait=30)
    return app, json.dumps(_public(rec)), _markdown(rec)


def poll(state, current_model, current_trained):
    """The browser's timer: progress, curve, and the menus once a model is ready; the timer
    stops when no training runs."""
    if not isinstance(state, AppSession):
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False)
    app = state
    ds = _dataset(app)
    rec = training_status(ds)
    running = rec.get("state") == "running"
    plot = _plot(app, rec) if rec.get("state") != "none" else gr.skip()
    menus = (gr.skip(), gr.skip())
    if app.train_seen != (rec.get("name"), rec.get("state")):
        app.train_seen = (rec.get("name"), rec.get("state"))
        choices = hm.model_choices(ds)
        own = [c for c in choices if c[1].startswith(PREFIX)]
        menus = (gr.Dropdown(choices=choices, value=current_model),
                 gr.Dropdown(choices=own, value=(own[0][1] if own and not running else current_trained)))
    return _markdown(rec), plot, *menus, gr.Timer(active=running)


def follow(state):
    """Start the timer (after Train, or when the panel is opened)."""
    return gr.Timer(active=True)


def trained_choices(ds) -> list:
    """The Train panel's menu of the dataset's own models, newest first."""
    return [c for c in hm.model_choices(ds) if c[1].startswith(PREFIX)]


def prelabel_with(state, trained_name, value=None, progress=gr.Progress()):
    """Pre-label with the dataset's model: items unlabelled or only predicted."""
    if not trained_name:
        return _no_model(state, value)
    return hm.prelabel(state, trained_name, None, "unlabelled and predicted", value, progress=progress)


@action()
def _no_model(app, value=None):
    raise UserError("No model trained on this dataset yet: train one first.")


@action()
def review_order(app, order, value=None):
    """``"least sure first"``: the file list and Next not reviewed follow the confidence the
    last pre-labelling recorded (items without one last); ``"dataset order"``: as before."""
    if order not in ORDERS:
        raise UserError(f"order is one of: {', '.join(ORDERS)}")
    app.least_sure_first = order == ORDERS[1]
    order = least_sure_first(app.workspace.ds)
    if app.least_sure_first and (not order or "confidence" not in app.workspace.ds.item_info(order[0])):
        gr.Info("No item has a confidence yet: pre-label with a model first.")


@action(outputs=2)
def uncertain(app, threshold=0.5, value=None):
    """The current image with the pixels its pre-labelling model was unsure of (winning
    class below ``threshold``) in magenta; ``(state, picture path)``."""
    s = current_session(app)
    ws = app.workspace
    with ws.lock:
        mask = uncertain_pixels(ws.ds, ws.index, float(threshold))
    if mask is None or mask.shape != s.shape:
        raise UserError("This image has no recorded confidence: pre-label it with a model first.")
    path = app.picture_path(".png")
    Image.fromarray(uncertain_overlay(s.rgb, mask)).save(path)
    gr.Info(f"{mask.mean() * 100:.1f}% of the pixels are below {float(threshold):.2f}.")
    return app, str(path)


@action()
def show_uncertain(app, show, threshold=0.5, value=None):
    """Draw (or stop drawing) the uncertain pixels of each pre-labelled item over the canvas."""
    app.uncertain_below = float(threshold) if show else None
    ws = app.workspace
    if show and ws.session is not None:
        with ws.lock:
            mask = uncertain_pixels(ws.ds, ws.index, float(threshold))
        if mask is None:
            gr.Info("This image has no recorded confidence: pre-label it with a model first; pre-labelled "
                    "images will show their uncertain pixels.")


__all__ = ["show_uncertain", "architectures", "train", "train_status", "stop", "poll", "follow", "prelabel_with", "review_order",
           "uncertain", "trained_choices", "INCLUDE", "ORDERS"]
