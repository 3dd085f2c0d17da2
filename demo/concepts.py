"""Find all and the text each class is found by (SAM 3 concepts): handlers only. segcore finds
(``segcore.edit.find_all``, ``segcore.dataset.prelabel_concepts``) and keeps the texts
(``segcore.dataset.concept_prompts``, the dataset's ``.segcore/prompts.json``).

The concept model is the registry's (``auto``: SAM 3), loaded once per process and shared by
the sessions; each photo is encoded once (named by the item and its pixels), so Find all for a
second class of the same photo costs only that class's prompt."""

from __future__ import annotations

import gradio as gr

from segcore.dataset.concept_prompts import concept_prompts, prompt_of, set_concept_prompt
from segcore.dataset.prelabel_concepts import prelabel_concepts
from segcore.edit.find_all import find_all as find_in_session
from segcore.errors import ModelError, WeightsError
from segcore.models import CONCEPTS, load, names

from .actions import More, class_index, current_session
from .prompters import item_key
from .session import UserError
from .weights import given

__all__ = ["concept_names", "is_concepts", "find_all", "set_class_prompt", "prompts_md", "prelabel_all"]


def concept_names() -> list[str]:
    """The registry's models that find a class by its name."""
    return names(CONCEPTS)


def is_concepts(name) -> bool:
    return str(name or "") in concept_names()


def threshold_of(threshold) -> float:
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        t = -1.0
    if not 0 <= t <= 1:
        raise UserError(f"the score threshold is a number from 0 to 1; got {threshold!r}")
    return t


def concept_model(app, name: str = "auto", progress=None):
    """The concept model (downloading its weights first where they are missing and the network
    allows, with ``progress``); a one-line UserError where it cannot be had."""
    def downloading(received, total):
        if progress is not None:
            progress(received / total if total else None, desc="downloading SAM 3's weights", total=None)

    try:
        return load(name, CONCEPTS, weights=given(app).get(name), progress=downloading)
    except (WeightsError, ModelError) as e:
        raise UserError(f"Finding classes by name needs SAM 3: {e}") from None


def find_all(app, class_name, threshold, value=None, progress=gr.Progress()):
    """Every instance of the class (empty: the selected one) scored above ``threshold`` (0-1),
    found by its prompt text (its name unless one is set), added as one undoable step: objects
    of the class, each with its score, on an instance dataset; the class under the overwrite
    rule on a class map."""
    s = current_session(app)
    ws = app.workspace
    k = class_index(app, class_name)
    ls = ws.label_set
    if k == ls.background:
        raise UserError("Find all looks for things by name; the background is what none of them covers: "
                        "choose another class.")
    t = threshold_of(threshold)
    text = prompt_of(ws.ds, k) if ws.ds.label_set is not None else ls.names[k]
    progress(0.1, desc=f"finding every '{text}'")
    model = concept_model(app, progress=progress)
    done = find_in_session(s, model, k, text, t, key=item_key(ws.ds, ws.name, s.rgb))
    what = f"'{text}'" + ("" if text == ls.names[k] else f" (class {ls.names[k]})")
    if not done.found:
        gr.Info(f"Find all found no {what} scored above {t:.2f}.")
        return
    if done.changed:
        ws.changed()
    scores = ", ".join(f"{x:.2f}" for x in done.scores[:8]) + (", ..." if len(done.scores) > 8 else "")
    if s.has_objects:
        gr.Info(f"Find all added {len(done.ids)} {what} objects (scores {scores}).")
    elif done.changed:
        gr.Info(f"Find all found {done.found} {what} (scores {scores}): {done.changed:,} pixels took the class.")
    else:
        gr.Info(f"Find all found {done.found} {what} (scores {scores}), but the overwrite rule keeps every pixel "
                "they cover.")


def set_class_prompt(app, class_name, text, value=None):
    """Class ``class_name`` (empty: the selected one) is found by ``text`` from now on (empty:
    by its name), here and in every session, kept with the dataset."""
    ws = app.workspace
    if ws.ds.label_set is None:
        raise UserError("Add the dataset's classes first.")
    k = class_index(app, class_name)
    set_concept_prompt(ws.ds, k, text)
    gr.Info(f"Find all finds {ws.label_set.names[k]} by '{prompt_of(ws.ds, k)}'.")
    return More((prompts_md(ws.ds),))


def prompts_md(ds) -> str:
    """The classes of dataset ``ds`` found by a text other than their name, for the Classes tab."""
    texts = concept_prompts(ds) if ds is not None and ds.label_set is not None else {}
    if not texts:
        return "Find all finds each class by its name."
    return "Find all finds " + "; ".join(f"**{n}** by '{t}'" for n, t in sorted(texts.items())) + \
        "; the others by their name."


def prelabel_all(app, name: str, wanted: tuple, threshold, progress) -> tuple[int, list[str]]:
    """Every class found by name in the items of statuses ``wanted``; ``(items written, failures)``."""
    ws = app.workspace
    if ws.ds.label_set is None:
        raise UserError("Add the dataset's classes first: SAM 3 finds them by name.")
    t = threshold_of(threshold)
    model = concept_model(app, name, progress)
    with ws.lock:
        todo = [i for i in range(len(ws.ds)) if ws.ds.status(i) in wanted]
    failed = []
    with ws.lock:
        steps = prelabel_concepts(ws.ds, model, threshold=t, indices=todo,
                                  overwrite_predicted="predicted" in wanted, model_name=name)
        for step in progress.tqdm(steps, total=len(todo), desc="finding every class"):
            if step.outcome == "failed":
                failed.append(f"{step.name}: {step.message}")
    return len(todo), failed
