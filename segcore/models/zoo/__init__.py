"""The registry's entries, one file per model family.

Every module in this package is a family file: importing it registers its entries with
:func:`segcore.models.registry.register`. :func:`load_families` imports them all, once, on the
registry's first read; a new family is a new file here, nothing else to edit. A family file
imports only light modules at its top (listing models never imports torch); its builders
import the heavy parts.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading

__all__ = ["load_families", "FAMILY_ORDER"]

#: Families listed first, in this order (menus and ``segcore models`` follow the registry's
#: order); any other family file follows, by name.
FAMILY_ORDER = ("torchvision", "nets", "smp", "mediapipe", "grabcut", "sam", "sam2")

_loaded = False
_lock = threading.RLock()


def load_families() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
        order = [n for n in FAMILY_ORDER if n in found] + [n for n in found if n not in FAMILY_ORDER]
        for name in order:
            importlib.import_module(f"{__name__}.{name}")
        _loaded = True
