"""JSON label files written back in the layout they were read in, so that entries segcore did
not change keep their bytes (where the file was written as Python's ``json`` writes)."""

from __future__ import annotations

import json

__all__ = ["json_layout", "dumps"]


def json_layout(text: str) -> dict:
    """``json.dumps`` arguments that reproduce a file's layout (indent, separators, ASCII)."""
    kw: dict = {"ensure_ascii": text.isascii(), "end": "\n" if text.endswith("\n") else ""}
    lines = text.lstrip().splitlines()
    if len(lines) > 1 and lines[1][:1] in (" ", "\t"):
        second = lines[1]
        kw["indent"] = "\t" if second[0] == "\t" else len(second) - len(second.lstrip(" "))
    elif '":' in text[:2000] and '": ' not in text[:2000]:
        kw["separators"] = (",", ":")
    return kw


def dumps(data, layout: dict) -> str:
    """``data`` as JSON text in ``layout`` (from :func:`json_layout`; ``{}``: compact)."""
    kw = {k: v for k, v in layout.items() if k != "end"}
    return json.dumps(data, **kw) + layout.get("end", "")
