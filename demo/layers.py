"""The canvas's pictures over the photo (the mask, the object boundaries) as palette pictures:
the whole PNG for a value sent whole (an API client, a page that missed an answer), and for
the page that shows the previous one only the box of pixels that changed.

A vertex drag or a brush stroke changes a few thousand pixels of a megapixel mask; sending the
whole mask and boundary PNGs again took most of the answer's time at 1 MP with 300 objects (160
of its 280 kB, and 10 ms to encode them). A patch is the box's palette indices as runs (value,
length) in row order, with the colours of the indices in it: the page draws it in the same
task as the answer (``static/canvas/layers.js``), where a PNG decodes asynchronously and was
drawn 30 ms later, after the page's other work (measured here). No library writes runs of a
multi-valued picture (pycocotools' RLE is of one binary mask, in column order).
"""

import base64
import io

import numpy as np
from PIL import Image

#: A patch is sent where the changed box is at most this share of the picture and its runs at
#: most this many (else the whole picture, a PNG).
PATCH_AT_MOST = 0.5
RUNS_AT_MOST = 50_000


class Layer:
    """``pixels``: ``(h, w)`` uint8 palette indices (read-only); ``palette``: 256 RGB triples
    (768 ints); ``alpha``: 256 opacities; ``bits``: 1 for a two-colour picture (half the bytes)."""

    __slots__ = ("pixels", "palette", "alpha", "bits", "_url")

    def __init__(self, pixels: np.ndarray, palette, alpha: bytes, bits: int = 8):
        self.pixels = np.ascontiguousarray(pixels, np.uint8)
        self.pixels.setflags(write=False)
        self.palette = list(palette)
        self.alpha = bytes(alpha)
        self.bits = bits
        self._url = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape

    def _png(self, pixels: np.ndarray) -> str:
        img = Image.frombuffer("P", pixels.shape[::-1], np.ascontiguousarray(pixels), "raw", "P", 0, 1)
        img.putpalette(self.palette)
        buf = io.BytesIO()
        kw = {"bits": self.bits} if self.bits != 8 else {}
        img.save(buf, format="PNG", compress_level=1, transparency=self.alpha, **kw)
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")

    def url(self) -> str:
        """The whole picture as a PNG data URL (made once)."""
        if self._url is None:
            self._url = self._png(self.pixels)
        return self._url

    def drawn_alike(self, other: "Layer") -> bool:
        """Whether the two differ only in pixels (same size, colours and opacities)."""
        return (self.shape == other.shape and self.bits == other.bits and self.alpha == other.alpha
                and self.palette == other.palette)

    def colour(self, k: int) -> list[int]:
        """Palette index ``k`` as ``[r, g, b, a]``."""
        return [*self.palette[3 * k:3 * k + 3], self.alpha[k] if k < len(self.alpha) else 255]

    def patch(self, before: "Layer") -> dict | None:
        """What turns ``before`` (what the page shows) into this: ``{}`` where no pixel
        differs; ``{x, y, w, h, runs, colours}`` where the box of changed pixels is small (its
        indices as runs ``[value, length, value, length, ...]`` in row order, and ``colours``
        ``{index: [r, g, b, a]}`` of the values in it); None where the whole picture is to be
        sent."""
        if before is self:
            return {}
        if not self.drawn_alike(before):
            return None
        diff = self.pixels != before.pixels
        rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
        if not rows.size:
            return {}
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        if (y1 - y0) * (x1 - x0) > PATCH_AT_MOST * diff.size:
            return None
        flat = self.pixels[y0:y1, x0:x1].ravel()
        starts = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1])
        if starts.size > RUNS_AT_MOST:
            return None
        values = flat[starts]
        lengths = np.diff(np.append(starts, flat.size))
        return {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0,
                "runs": np.column_stack([values, lengths]).ravel().tolist(),
                "colours": {str(k): self.colour(int(k)) for k in np.unique(values)}}
