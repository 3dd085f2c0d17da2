"""CamVid scenes of ../shared/data/camvid-20 as a VOC root in a temporary folder (images linked,
labels converted: CamVid's 11 classes, its value 11 becomes void 255). Never copied into the project."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from segcore.labels import voc_colormap

CAMVID_CLASSES = ("sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car",
                  "pedestrian", "bicyclist")

PALETTE = voc_colormap().ravel().tolist()


def camvid_voc(src: Path, dst: Path, size: tuple[int, int] | None = None) -> Path:
    """``dst`` as a VOC root of camvid-20 (``src``) without labels; ``truth/`` beside it holds the
    ground truth as palette PNGs. ``size`` (w, h): resize (images and labels) instead of linking."""
    (dst / "JPEGImages").mkdir(parents=True, exist_ok=True)
    truth = dst.parent / f"{dst.name}-truth"
    truth.mkdir(exist_ok=True)
    for img in sorted((src / "images").glob("*.png")):
        lab = np.asarray(Image.open(src / "labels" / img.name)).copy()
        lab[lab >= len(CAMVID_CLASSES)] = 255
        lab_im = Image.fromarray(lab.astype(np.uint8), mode="P")
        lab_im.putpalette(PALETTE)   # without one, Pillow saves a P image of values 0/1 only
        if size is None:
            os.symlink(img.resolve(), dst / "JPEGImages" / img.name)
        else:
            Image.open(img).convert("RGB").resize(size, Image.BILINEAR).save(dst / "JPEGImages" / img.name)
            lab_im = lab_im.resize(size, Image.NEAREST)
        lab_im.save(truth / img.name)
    (dst / "labels.txt").write_text("\n".join(CAMVID_CLASSES) + "\n")
    return dst


def truth_of(dst: Path, name: str) -> np.ndarray:
    """``(H, W)`` uint8 ground truth of item ``name`` (255 void)."""
    return np.asarray(Image.open(dst.parent / f"{dst.name}-truth" / f"{name}.png"))
