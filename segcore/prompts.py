"""Prompts for interactive tools, checked in one place: points (clicks) and boxes.

A point is ``(x, y, positive)`` in image pixels (``positive``: the point belongs to the
object); a box is ``(x0, y0, x1, y1)`` with ``x1`` / ``y1`` exclusive. Every tool, prompter and
CLI command checks its prompts here, so a mistake reads the same everywhere.
"""

from __future__ import annotations

import cv2
import numpy as np

from .errors import PromptError

__all__ = ["Point", "parse_points", "check_points", "check_box", "click_radius", "click_seeds"]

Point = tuple[int, int, bool]  # x, y, positive


def parse_points(text: str) -> list[Point]:
    """``"X,Y,L;X,Y,L"`` (L = 1 positive / foreground, 0 negative / background) to points."""
    points = []
    for part in (p.strip() for p in str(text).replace("\n", ";").split(";")):
        if not part:
            continue
        bits = [b.strip() for b in part.split(",")]
        if len(bits) != 3 or bits[2] not in ("0", "1"):
            raise PromptError(f"a point is X,Y,L with L 1 (foreground) or 0 (background); got {part!r}")
        try:
            points.append((int(round(float(bits[0]))), int(round(float(bits[1]))), bits[2] == "1"))
        except ValueError:
            raise PromptError(f"a point's X and Y must be numbers; got {part!r}") from None
    return points


def check_points(points, height: int, width: int) -> list[Point]:
    """Points rounded to pixels, or a one-line error for a point off the image."""
    out = []
    for p in points or ():
        try:
            x, y, positive = p
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise PromptError(f"a point is (x, y, positive); got {p!r}") from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise PromptError(f"a point's x and y must be numbers; got {p!r}")
        x, y = int(round(x)), int(round(y))
        if not (0 <= x < width and 0 <= y < height):
            raise PromptError(f"point {x},{y} is off the {width}x{height} image")
        out.append((x, y, bool(positive)))
    return out


def check_box(box, height: int, width: int) -> tuple[int, int, int, int]:
    """Clip a box ``(x0, y0, x1, y1)`` (pixels, x1/y1 exclusive) to the image, or raise."""
    try:
        x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    except (TypeError, ValueError, OverflowError):
        raise PromptError(f"a box is four numbers x0,y0,x1,y1; got {box!r}") from None
    if x1 < x0:
        x0, x1 = x1, x0
    if y1 < y0:
        y0, y1 = y1, y0
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        raise PromptError(f"box {x0},{y0},{x1},{y1} lies outside the {width}x{height} image")
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise PromptError(f"box {x0},{y0},{x1},{y1} is empty; draw a box at least 2 pixels wide and high")
    return x0, y0, x1, y1


def click_radius(shape: tuple[int, int]) -> int:
    """Disc radius of a click: 2.5% of the image diagonal (the best of 1.5-3% on portraits)."""
    return max(2, int(round(0.025 * float(np.hypot(*shape)))))


def click_seeds(shape: tuple[int, int], points, radius: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(fg, bg)`` bool seed masks of ``shape``: a disc per positive / negative point."""
    r = click_radius(shape) if radius is None else radius
    fg = np.zeros(shape, np.uint8)
    bg = np.zeros(shape, np.uint8)
    for x, y, positive in points:
        cv2.circle(fg if positive else bg, (int(x), int(y)), int(r), 1, -1)
    return fg.astype(bool), bg.astype(bool)
