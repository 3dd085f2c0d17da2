"""Training data from a segcore dataset: items with labels, augmented crops, normalised.

Training crops: the image scaled by a random factor in [0.5, 2] of ``size`` over its shorter
side, padded where smaller (labels padded with void), a random ``size x size`` crop and a
random horizontal flip. Validation: the whole image, its shorter side resized to ``size``.
Normalisation is ImageNet's mean and std, as the registry's presets use.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..dataset import Dataset

__all__ = ["labelled_items", "split", "TrainCrops", "MEAN", "STD", "normalise"]

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def normalise(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` -> float32 ``(3, H, W)`` with ImageNet mean and std."""
    return ((rgb.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)


def labelled_items(ds: Dataset, include_predicted: bool = False, statuses=None) -> list[int]:
    """Items a person labelled (``edited``, ``reviewed``), and ``predicted`` ones if asked;
    ``statuses`` chooses them instead (e.g. ``["reviewed"]``)."""
    if statuses:
        ok = tuple(statuses) + (("predicted",) if include_predicted else ())
    else:
        ok = ("edited", "reviewed", "predicted") if include_predicted else ("edited", "reviewed")
    return [i for i in range(len(ds)) if ds.status(i) in ok]


def split(indices: list[int], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A seeded split: ``(train, val)`` with about ``fraction`` in val (at least one if any)."""
    order = list(np.random.default_rng(seed).permutation(indices))
    n_val = 0 if fraction <= 0 else max(1, int(round(fraction * len(order))))
    if n_val >= len(order):
        n_val = len(order) - 1
    return sorted(int(i) for i in order[n_val:]), sorted(int(i) for i in order[:n_val])


class TrainCrops:
    """``crops(ds, indices, size)``; ``batch(idx, rng)`` -> ``(x (N,3,S,S), y (N,S,S) int64)``.

    Decoded images and labels are kept in memory up to ``cache_mb`` (small datasets are read
    once; larger ones are read again each epoch).
    """

    def __init__(self, ds: Dataset, indices: list[int], size: int, cache_mb: int = 1024):
        self.ds, self.indices, self.size = ds, list(indices), int(size)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._budget = cache_mb * 2**20

    def __len__(self) -> int:
        return len(self.indices)

    def pair(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if i in self._cache:
            return self._cache[i]
        rgb, labels = self.ds.read_image(i), self.ds.read_labels(i)
        if rgb.shape[:2] != labels.shape:
            from ..errors import FormatError
            raise FormatError(f"{self.ds[i].name}: image and labels differ in size")
        if self._budget >= rgb.nbytes + labels.nbytes:
            self._budget -= rgb.nbytes + labels.nbytes
            self._cache[i] = (rgb, labels)
        return rgb, labels

    def crop(self, i: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        rgb, labels = self.pair(i)
        S = self.size
        h, w = labels.shape
        f = S / min(h, w) * float(rng.uniform(0.5, 2.0))
        nh, nw = max(1, round(h * f)), max(1, round(w * f))
        img = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
        lab = cv2.resize(labels, (nw, nh), interpolation=cv2.INTER_NEAREST)
        ph, pw = max(0, S - nh), max(0, S - nw)
        if ph or pw:
            img = cv2.copyMakeBorder(img, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=(124, 116, 104))
            lab = cv2.copyMakeBorder(lab, 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=255)
        y0 = int(rng.integers(0, img.shape[0] - S + 1))
        x0 = int(rng.integers(0, img.shape[1] - S + 1))
        img, lab = img[y0:y0 + S, x0:x0 + S], lab[y0:y0 + S, x0:x0 + S]
        if rng.random() < 0.5:
            img, lab = img[:, ::-1], lab[:, ::-1]
        return normalise(np.ascontiguousarray(img)), np.ascontiguousarray(lab)

    def batch(self, idx, rng):
        import torch

        xs, ys = zip(*(self.crop(i, rng) for i in idx))
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys).astype(np.int64))
