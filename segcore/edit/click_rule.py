"""What a click of a run does to the object it refines: the one rule of the class-map and the
object sessions.

A run of clicks refines one object (on a class map: the class's region). Each click asks the
prompter for the object with all the run's points, and the prompter may be weak (the selfie
model, GrabCut): its answer can miss most of an object that is labelled well. So the answer
is trusted as labelme / CVAT / SAM users expect:

* a positive click adds what the answer covers (the object at the click); it never takes a pixel
  that was labelled before the run (``before``: the user's work);
* a negative click takes the connected part of ``before`` under it that the answer leaves out,
  within :func:`reach` of the click, and adds nothing. The answer decides where the object ends
  near the click, never that the rest of it goes;
* the pixels the run itself added follow the prompter's latest answer (each click refines it,
  as with SAM); what an earlier negative click took stays taken unless the answer covers it
  again, so a later click takes nothing beyond its own cut (a positive click whose answer holds
  only the part at the click takes nothing).

``before`` is the object as it was before the run, ``current`` as the run left it one click ago
(both ``(H, W)`` bool); undo of a click restores ``current``, so the rule keeps no state.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..prompts import Point, click_radius

__all__ = ["REACH", "reach", "components_at", "object_near", "click_cut", "run_result"]

#: How far from a negative click it may take pixels away, in click radii (2.5% of the photo's
#: diagonal each): a person's spill goes in a click or two (a long one in a few), a poor answer
#: costs at most a disc of this radius. 3 was the best of 2, 3, 4 and 6 on pre-filled people-40
#: with GrabCut and the selfie prompter (tests/bench/bench_clicks.py, test_prefilled); taking the
#: whole cut when it is under a quarter of the object instead cleared long spills sooner but let
#: poor answers take up to that quarter far from the click.
REACH = 3


def reach(shape: tuple[int, int]) -> int:
    """Pixels: how far a negative click reaches (:data:`REACH` click radii)."""
    return int(REACH * click_radius(shape))


def components_at(mask: np.ndarray, points) -> np.ndarray:
    """``(H, W)`` bool: the connected parts (8-neighbours) of ``mask`` that hold one of ``points``."""
    hits = [(x, y) for x, y, *_ in points if mask[y, x]]
    if not hits:
        return np.zeros(mask.shape, bool)
    _, comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    return np.isin(comp, sorted({int(comp[y, x]) for x, y in hits}))


def _near(shape: tuple[int, int], points) -> np.ndarray:
    """``(H, W)`` bool: the pixels within :func:`reach` of one of ``points``."""
    out = np.zeros(shape, np.uint8)
    for x, y, *_ in points:
        cv2.circle(out, (int(x), int(y)), reach(shape), 1, -1)
    return out.astype(bool)


def object_near(own: np.ndarray, points) -> np.ndarray:
    """``(H, W)`` bool: the connected parts of ``own`` (a class's region) that come within
    :func:`reach` of one of ``points``: on a class map, the object a run refines, handed to the
    prompter as its prior (a click on a missed part beside a labelled object grows that object)."""
    if not own.any() or not points:
        return np.zeros(own.shape, bool)
    hit = own & _near(own.shape, points)
    if not hit.any():
        return np.zeros(own.shape, bool)
    _, comp = cv2.connectedComponents(own.astype(np.uint8), connectivity=8)
    keep = np.unique(comp[hit])
    return np.isin(comp, keep[keep > 0])


def click_cut(before: np.ndarray, answer: np.ndarray, click: Point) -> np.ndarray:
    """``(H, W)`` bool: what a negative ``click`` takes from ``before``: the connected part of it
    under the click that ``answer`` leaves out, within :func:`reach` of the click (nothing for a
    positive click, or where the answer keeps the clicked pixel)."""
    x, y, positive = click
    if positive or not before[y, x] or answer[y, x]:
        return np.zeros(before.shape, bool)
    return components_at(before & ~answer & _near(before.shape, [click]), [click])


def run_result(before: np.ndarray, current: np.ndarray, answer: np.ndarray, click: Point,
               writable: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: the object after ``click`` (module doc): ``before`` less what the run's
    negative clicks take, and ``answer`` where ``writable``."""
    taken = (before & ~current & ~answer) | click_cut(before, answer, click)
    out = (before & ~taken) | (answer & writable)
    return out if click[2] else out & current
