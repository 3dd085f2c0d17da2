"""An object's mask, stored as its tight box and the bool crop inside it.

300 objects of a 12-megapixel photo cost their own pixels, not 300 full masks. The crop is
read-only and shared: an object that an edit does not touch keeps the same ``ObjMask``, so an
undo snapshot of the image's objects is a tuple of references. ``pack()`` swaps the crop for its
zlib bytes (the undo history does this for masks no longer current); it is decoded again on the
next access.

Boxes are ``(x0, y0, x1, y1)`` in image pixels, ``x1`` and ``y1`` exclusive; ``bbox`` is COCO's
``[x, y, w, h]``. A mask is never empty: constructors return None instead.
"""

from __future__ import annotations

import threading
import zlib

import cv2
import numpy as np

__all__ = ["ObjMask", "Box", "box_of", "union_box"]

Box = tuple[int, int, int, int]


def box_of(mask: np.ndarray) -> Box | None:
    """The tight box of the True pixels of a 2-D bool array, None if there are none."""
    rows = np.flatnonzero(mask.any(1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def union_box(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


class ObjMask:
    """A non-empty bool mask: its tight ``box`` and ``crop`` ``(y1 - y0, x1 - x0)`` bool."""

    __slots__ = ("box", "area", "_crop", "_packed", "_lock")

    def __init__(self, crop: np.ndarray, box: Box, area: int | None = None):
        """Private: use :meth:`from_full` / :meth:`from_crop` (they tighten the box)."""
        crop = np.asarray(crop, bool)
        crop.setflags(write=False)
        self.box = tuple(int(v) for v in box)
        self._crop = crop
        self._packed = None
        self._lock = threading.Lock()
        self.area = int(np.count_nonzero(crop)) if area is None else int(area)

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def from_crop(cls, crop: np.ndarray, x0: int = 0, y0: int = 0) -> "ObjMask | None":
        """The mask whose pixels are ``crop`` placed at ``(x0, y0)``; None if it is empty."""
        crop = np.asarray(crop, bool)
        b = box_of(crop)
        if b is None:
            return None
        cx0, cy0, cx1, cy1 = b
        tight = crop[cy0:cy1, cx0:cx1]
        if tight.base is not None or not tight.flags.c_contiguous:
            tight = tight.copy()
        return cls(tight, (x0 + cx0, y0 + cy0, x0 + cx1, y0 + cy1))

    @classmethod
    def from_full(cls, mask: np.ndarray) -> "ObjMask | None":
        """From an ``(H, W)`` bool mask; None if it is empty."""
        return cls.from_crop(mask, 0, 0)

    # -- the pixels -----------------------------------------------------------------------
    @property
    def crop(self) -> np.ndarray:
        """``(h, w)`` bool, read-only."""
        c = self._crop
        if c is None:
            with self._lock:
                if self._crop is None:
                    h, w = self.height, self.width
                    bits = np.frombuffer(zlib.decompress(self._packed), np.uint8)
                    c = np.unpackbits(bits, count=h * w).reshape(h, w).astype(bool)
                    c.setflags(write=False)
                    self._crop = c
                c = self._crop
        return c

    def pack(self) -> None:
        """Keep the crop as zlib bytes until it is next read (for masks of past steps)."""
        with self._lock:
            if self._crop is not None:
                if self._packed is None:
                    self._packed = zlib.compress(np.packbits(self._crop).tobytes(), 1)
                self._crop = None

    @property
    def packed(self) -> bool:
        return self._crop is None

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def bbox(self) -> list[float]:
        """COCO's ``[x, y, w, h]``."""
        x0, y0, x1, y1 = self.box
        return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` of the box in the image."""
        x0, y0, x1, y1 = self.box
        return slice(y0, y1), slice(x0, x1)

    def full(self, shape) -> np.ndarray:
        """``(H, W)`` bool of the whole image."""
        out = np.zeros(shape, bool)
        out[self.slices] = self.crop
        return out

    def within(self, box: Box) -> np.ndarray:
        """The mask inside ``box`` (any box of the image): ``(y1 - y0, x1 - x0)`` bool."""
        bx0, by0, bx1, by1 = box
        out = np.zeros((by1 - by0, bx1 - bx0), bool)
        x0, y0, x1, y1 = self.box
        ix0, iy0, ix1, iy1 = max(x0, bx0), max(y0, by0), min(x1, bx1), min(y1, by1)
        if ix0 < ix1 and iy0 < iy1:
            out[iy0 - by0:iy1 - by0, ix0 - bx0:ix1 - bx0] = self.crop[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
        return out

    def contains(self, x: int, y: int) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x < x1 and y0 <= y < y1 and bool(self.crop[y - y0, x - x0])

    def meets(self, box: Box | None) -> bool:
        """Whether this mask's box overlaps ``box``."""
        if box is None:
            return False
        x0, y0, x1, y1 = self.box
        return x0 < box[2] and box[0] < x1 and y0 < box[3] and box[1] < y1

    def overlaps(self, other: "ObjMask") -> bool:
        """Whether the two masks share a pixel."""
        if not self.meets(other.box):
            return False
        return bool((self.within(other.box) & other.crop).any())

    # -- set operations (new masks) -------------------------------------------------------
    def _region(self, region) -> tuple[np.ndarray, Box] | None:
        """``region`` (an ObjMask or an ``(H, W)`` bool array) as ``(crop, box)``."""
        if isinstance(region, ObjMask):
            return region.crop, region.box
        b = box_of(region)
        if b is None:
            return None
        x0, y0, x1, y1 = b
        return np.asarray(region[y0:y1, x0:x1], bool), b

    def union(self, region) -> "ObjMask":
        r = self._region(region)
        if r is None:
            return self
        crop, rb = r
        box = union_box(self.box, rb)
        out = self.within(box)
        out[rb[1] - box[1]:rb[3] - box[1], rb[0] - box[0]:rb[2] - box[0]] |= crop
        new = ObjMask(out, box)
        return self if new.area == self.area else new

    def minus(self, region) -> "ObjMask | None":
        """The mask without ``region``; None if nothing is left, ``self`` if nothing changed."""
        r = self._region(region)
        if r is None or not self.meets(r[1]):
            return self
        crop, rb = r
        cut = ObjMask(crop, rb, 1).within(self.box)
        if not (cut & self.crop).any():
            return self
        return ObjMask.from_crop(self.crop & ~cut, self.box[0], self.box[1])

    def intersect(self, region) -> "ObjMask | None":
        r = self._region(region)
        if r is None:
            return None
        crop, rb = r
        return ObjMask.from_crop(self.crop & ObjMask(crop, rb, 1).within(self.box), self.box[0], self.box[1])

    def same(self, other: "ObjMask | None") -> bool:
        """Pixel-equal."""
        if other is self:
            return True
        return (other is not None and self.box == other.box and self.area == other.area
                and bool(np.array_equal(self.crop, other.crop)))

    def contours(self) -> list[np.ndarray]:
        """The outlines (outer and holes) as ``(N, 2)`` int32 image ``x, y`` of boundary pixels."""
        c = np.pad(self.crop, 1).astype(np.uint8)
        found, _ = cv2.findContours(c, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        x0, y0 = self.box[0] - 1, self.box[1] - 1
        return [f.reshape(-1, 2) + np.int32([x0, y0]) for f in found]

    def __repr__(self) -> str:
        return f"ObjMask(box={self.box}, area={self.area})"
