"""Write back only what changed: which instances a class-map edit touches, and how.

A COCO annotation or a labelme shape is an instance: a class and a mask. The user edits the
class map the instances paint; writing back compares the new map with the one they paint now
and changes only what the changed pixels touch:

* an instance with no changed pixel is not touched at all;
* an instance loses its changed pixels whose new class is another one;
* changed pixels of a class that touch an instance of that class (8-neighbours) join it (the
  instance sharing the longest border, the earliest on a tie);
* changed pixels of a class that touch no instance of it become new instances, one per
  8-connected region (except classes in ``no_new``: background, and void where the format has
  none).

Everything outside the changed pixels stays as it was, overlaps included. The work is done in
the bounding box of the changed pixels grown by one pixel, so an edit of a few pixels costs
little whatever the image size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = ["Crop", "InstanceDiff", "changed_box", "diff_instances"]


@dataclass(frozen=True)
class Crop:
    """A box ``[y0:y1, x0:x1]`` of an image."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def meets(self, bbox_xywh) -> bool:
        """Whether a COCO-style ``[x, y, w, h]`` box overlaps this one."""
        x, y, w, h = bbox_xywh
        return x < self.x1 and x + w > self.x0 and y < self.y1 and y + h > self.y0


def changed_box(old: np.ndarray, new: np.ndarray) -> Crop | None:
    """The box of the pixels where ``old`` and ``new`` (both ``(H, W)`` uint8) differ, grown
    by one pixel (so instances touching the change are seen); None if nothing changed."""
    changed = old != new
    rows, cols = np.flatnonzero(changed.any(1)), np.flatnonzero(changed.any(0))
    if not rows.size:
        return None
    h, w = old.shape
    return Crop(max(0, int(rows[0]) - 1), min(h, int(rows[-1]) + 2),
                max(0, int(cols[0]) - 1), min(w, int(cols[-1]) + 2))


@dataclass
class InstanceDiff:
    """``updated``: instance index -> its new mask inside the crop (all False: it is gone);
    ``added``: ``(class, mask in the crop)`` of new instances. Instances not in ``updated``
    are untouched."""

    updated: dict[int, np.ndarray] = field(default_factory=dict)
    added: list[tuple[int, np.ndarray]] = field(default_factory=list)


def diff_instances(old: np.ndarray, new: np.ndarray, instances, no_new=(0,),
                   no_grow=()) -> InstanceDiff:
    """What changes, inside one crop: ``old`` / ``new`` are the class maps there, ``instances``
    ``(class, bool mask)`` pairs in the same crop (only those that reach it need be given,
    as ``(index, class, mask)``). Classes in ``no_grow`` never gain pixels (labelme's
    background shapes: uncovered pixels are background anyway)."""
    out = InstanceDiff()
    changed = old != new
    if not changed.any():
        return out
    current = {k: m for k, _, m in instances}
    cls_of = {k: c for k, c, _ in instances}
    for k, c, m in instances:
        lost = m & changed & (new != c)
        if lost.any():
            current[k] = m & ~lost
            out.updated[k] = current[k]
    kernel = np.ones((3, 3), np.uint8)
    for c in np.unique(new[changed]).tolist():
        gained = (changed & (new == c)).astype(np.uint8)
        n, comp = cv2.connectedComponents(gained, connectivity=8)
        mine = [k for k in current if cls_of[k] == c] if c not in no_grow else []
        for j in range(1, n):
            region = comp == j
            if mine:
                ring = cv2.dilate(region.astype(np.uint8), kernel).astype(bool)
                contact = [(int((ring & current[k]).sum()), -i, k) for i, k in enumerate(mine)]
                best = max(contact)
                if best[0] > 0:
                    k = best[2]
                    if (region & ~current[k]).any():
                        current[k] = current[k] | region
                        out.updated[k] = current[k]
                    continue
            if c not in no_new:
                out.added.append((c, region))
    return out
