"""The format registry: each dataset format is one :class:`~segcore.dataset.Dataset` class,
registered by name with :func:`register_format`.

A format says whether a path is one of its datasets (``detect``, from file names and JSON
keys, no image decoded), opens it (``open``), and, where it can, writes a whole dataset
(``export``). ``open_dataset`` asks the formats in order of ``priority`` (lower first);
``export_dataset`` looks a format up by name. A second format of one name is refused.
"""

from __future__ import annotations

from ..errors import FormatError

__all__ = ["register_format", "get_format", "list_formats", "FORMATS"]

FORMATS: dict[str, type] = {}


def register_format(name: str, *, priority: int):
    """Class decorator: add a Dataset subclass to the registry under ``name``."""
    def deco(cls):
        if name in FORMATS:
            raise ValueError(f"a dataset format named {name!r} is registered already "
                             f"({FORMATS[name].__module__}.{FORMATS[name].__qualname__})")
        cls.kind = name
        cls.priority = priority
        FORMATS[name] = cls
        return cls
    return deco


def get_format(name: str) -> type:
    try:
        return FORMATS[name]
    except KeyError:
        raise FormatError(f"unknown format {name!r}; choose one of {', '.join(list_formats(export=True))}") from None


def list_formats(export: bool = False) -> list[str]:
    """Registered format names in detection order; ``export``: only those that can be written."""
    return [n for n, c in sorted(FORMATS.items(), key=lambda kv: kv[1].priority)
            if not export or c.can_export()]
