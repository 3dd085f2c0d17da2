"""A weight-free prior for portraits: a detected face is surely the person, and so is a strip
of torso below it. OpenCV ships the Haar face cascade inside its wheel, so nothing is
downloaded. Seeding GrabCut with this raised mean person IoU on our portrait set (see
tests/bench/bench_cutout.py); where no face is found, GrabCut runs unseeded.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

__all__ = ["find_face", "person_seeds"]


@lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def find_face(rgb: np.ndarray, box) -> tuple[int, int, int, int] | None:
    """The largest frontal face inside ``box`` as ``(x, y, w, h)``, or None."""
    x0, y0, x1, y1 = box
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    side = max(12, (x1 - x0) // 12)
    faces = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    if len(faces) == 0:
        return None
    fx, fy, fw, fh = max(faces, key=lambda f: f[2] * f[3])
    return int(fx + x0), int(fy + y0), int(fw), int(fh)


def person_seeds(rgb: np.ndarray, box) -> np.ndarray:
    """``(H, W)`` bool sure-person seeds: the inner face ellipse and a torso strip below it."""
    seeds = np.zeros(rgb.shape[:2], np.uint8)
    face = find_face(rgb, box)
    if face is None:
        return seeds.astype(bool)
    fx, fy, fw, fh = face
    cx = fx + fw // 2
    cv2.ellipse(seeds, (cx, fy + fh // 2), (int(fw * 0.3), int(fh * 0.38)), 0, 0, 360, 1, -1)
    top = fy + int(1.5 * fh)
    if top < box[3] - 1:
        cv2.rectangle(seeds, (cx - fw // 4, top), (cx + fw // 4, box[3] - 1), 1, -1)
    return seeds.astype(bool)
