"""The text each class is found by (SAM 3 concepts), kept with the dataset.

A class is prompted by its name unless the user gave it a prompt text (``sidewalk`` for
``pavement``, ``person`` for ``pedestrian``): those are kept in the dataset's ``.segcore``
folder, beside its status file, as ``{"version": 1, "prompts": {class name: text}}``
(``prompts.json``; a COCO file's is ``<stem>.prompts.json``), so the CLI, the app and later
runs read the same. The class named background is never prompted: it is what no instance covers.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import FormatError
from ..fileio import write_text
from ..labels import LabelSet

__all__ = ["prompts_path", "concept_prompts", "set_concept_prompt", "prompt_of", "prompted_classes"]


def prompts_path(ds) -> Path:
    status = Path(ds._status.path)
    return status.with_name(status.name.replace("status.json", "prompts.json"))


def concept_prompts(ds) -> dict[str, str]:
    """``{class name: prompt text}`` the user set (classes without one are prompted by name)."""
    path = prompts_path(ds)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}            # a broken file of ours costs the prompt texts, never the dataset
    prompts = data.get("prompts") if isinstance(data, dict) else None
    if not isinstance(prompts, dict):
        return {}
    return {str(k): v.strip() for k, v in prompts.items() if isinstance(v, str) and v.strip()}


def _class_name(ds, cls) -> str:
    ls = ds.label_set
    if ls is None:
        raise FormatError(f"{ds.root} has no classes yet; give it a class list first")
    if isinstance(cls, str):
        return ls.names[ls.index_of(cls)]
    if not 0 <= int(cls) < len(ls):
        raise FormatError(f"class {cls} is not one of the dataset's {len(ls)} classes")
    return ls.names[int(cls)]


def set_concept_prompt(ds, cls, text: str | None) -> dict[str, str]:
    """Class ``cls`` (index or name) is found by ``text`` from now on; None or "" sets it back
    to its name. Returns every prompt text set."""
    name = _class_name(ds, cls)
    text = "" if text is None else str(text).strip()
    if "\n" in text or "\r" in text:
        raise FormatError("a prompt text is one line, e.g. 'sidewalk'")
    prompts = concept_prompts(ds)
    if text and text != name:
        prompts[name] = text
    else:
        prompts.pop(name, None)
    write_text(prompts_path(ds), json.dumps({"version": 1, "prompts": prompts}, indent=1, sort_keys=True,
                                            ensure_ascii=False), keep_backup=False)
    return prompts


def prompt_of(ds, cls) -> str:
    """The text class ``cls`` (index or name) is found by: its prompt text, else its name."""
    name = _class_name(ds, cls)
    return concept_prompts(ds).get(name, name)


def prompted_classes(label_set: LabelSet) -> list[int]:
    """The classes a pre-label prompts: every one but the class named background."""
    from ..edit.apply import background_index

    bg = background_index(label_set)
    return [k for k in range(len(label_set)) if k != bg]
