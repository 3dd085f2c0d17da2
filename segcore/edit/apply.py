"""The one rule by which a tool writes: a candidate region takes a class, and nothing else changes.

Every tool (a click run, a box, the wand, a polygon, brush strokes) proposes a region; applying
it writes the selected class into the part of the region the overwrite rule allows:

* ``any``: every pixel of the region;
* ``unlabelled``: only void pixels and those of the background class (a class *named*
  ``background`` / ``_background_``; class 0 is a class like any other);
* ``unlocked``: every pixel but those of the classes locked in the class list (the default;
  with nothing locked it is ``any``).

Erasing writes the *erase target*: void (255, unlabelled) unless the dataset has a class
named background, or the class the user picked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import PromptError
from ..labels import LabelSet

__all__ = ["OVERWRITE_RULES", "ApplyRule", "background_index", "apply_region"]

OVERWRITE_RULES = ("any", "unlabelled", "unlocked")


def background_index(label_set: LabelSet) -> int | None:
    """The index of the class named background, or None: :attr:`LabelSet.background`."""
    return label_set.background


@dataclass(frozen=True)
class ApplyRule:
    """How a candidate is applied. ``erase_to``: None for the default target (see module)."""

    overwrite: str = "unlocked"
    locked: frozenset = field(default_factory=frozenset)
    erase_to: int | None = None

    def __post_init__(self):
        if self.overwrite not in OVERWRITE_RULES:
            raise PromptError(f"overwrite is one of {', '.join(OVERWRITE_RULES)}; got {self.overwrite!r}")
        object.__setattr__(self, "locked", frozenset(int(k) for k in self.locked))

    def with_overwrite(self, overwrite: str | None) -> "ApplyRule":
        return self if overwrite in (None, "") else replace(self, overwrite=str(overwrite).strip().lower())

    def erase_value(self, label_set: LabelSet) -> int:
        if self.erase_to is not None:
            return int(self.erase_to)
        bg = background_index(label_set)
        return label_set.void_index if bg is None else bg

    def protected_classes(self, label_set: LabelSet) -> list[int]:
        """Class indices whose pixels this rule keeps (void included where kept)."""
        if self.overwrite == "any":
            return []
        if self.overwrite == "unlocked":
            return sorted(self.locked)
        bg = background_index(label_set)
        return [k for k in range(len(label_set)) if k != bg] + sorted(k for k in self.locked if k == bg)

    def writable(self, labels: np.ndarray, label_set: LabelSet) -> np.ndarray:
        """``(H, W)`` bool: the pixels a tool may change under this rule."""
        keep = self.protected_classes(label_set)
        if not keep:
            return np.ones(labels.shape, bool)
        lut = np.ones(256, bool)
        lut[keep] = False
        return lut[labels]

    def check_target(self, cls: int, label_set: LabelSet) -> None:
        """A locked class cannot be edited, unless the rule is ``any``."""
        if self.overwrite != "any" and cls in self.locked:
            name = label_set.names[cls] if cls < len(label_set) else "unlabelled"
            raise PromptError(f"class {name!r} is locked; unlock it in the class list to edit it")


def apply_region(labels: np.ndarray, region: np.ndarray, value: int, rule: ApplyRule,
                 label_set: LabelSet) -> np.ndarray:
    """A new label map: ``value`` written into ``region`` where ``rule`` allows, nothing else."""
    out = labels.copy()
    out[np.asarray(region, bool) & rule.writable(labels, label_set)] = value
    return out
