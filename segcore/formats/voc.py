"""PASCAL VOC label maps: palette ("P") PNGs whose pixel values are class indices.

Index = class, 255 = void (drawn in the VOC void colour). Reading also accepts greyscale
index masks (CamVid style) and colour-coded RGB masks, mapped by exact palette lookup.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import FormatError
from ..fileio import write_text, write_with
from ..labels import LabelSet

__all__ = ["label_png", "write_label_png", "read_label_map", "labels_from_rgb", "write_voc_dataset",
           "read_voc_dataset", "binary_mask_classes"]


def label_png(labels: np.ndarray, label_set: LabelSet) -> Image.Image:
    """``(H, W)`` uint8 label map -> palette PIL image with the label set's colours."""
    im = Image.fromarray(np.ascontiguousarray(labels, dtype=np.uint8), mode="P")
    im.putpalette(label_set.palette())
    return im


def write_label_png(path: str | os.PathLike, labels: np.ndarray, label_set: LabelSet,
                    keep_backup: bool = True) -> Path:
    """Write a VOC palette PNG atomically (a replaced file is kept as ``.bak``)."""
    im = label_png(labels, label_set)
    return write_with(path, lambda p: im.save(p, format="PNG"), keep_backup)


def labels_from_rgb(rgb: np.ndarray, label_set: LabelSet, name: str = "mask") -> np.ndarray:
    """Colour-coded ``(H, W, 3)`` mask -> label map by exact colour lookup; unknown colours fail."""
    lut = label_set.lut()
    known = {tuple(int(v) for v in lut[i]): i for i in list(range(len(label_set))) + [label_set.void_index]}
    flat = rgb.reshape(-1, 3).astype(np.uint32)
    codes = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    uniq, inverse = np.unique(codes, return_inverse=True)
    out = np.empty(len(uniq), dtype=np.uint8)
    unknown = []
    for k, code in enumerate(uniq):
        col = (int(code >> 16), int((code >> 8) & 255), int(code & 255))
        if col in known:
            out[k] = known[col]
        else:
            unknown.append("#%02x%02x%02x" % col)
    if unknown:
        raise FormatError(f"{name} has colours that are no class of the label set: "
                          f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}; "
                          "give the right class list")
    return out[inverse].reshape(rgb.shape[:2])


def read_label_map(src, label_set: LabelSet | None = None, name: str | None = None,
                   allow: tuple[int, ...] = ()) -> np.ndarray:
    """A label map ``(H, W)`` uint8 from a palette PNG, a greyscale index mask or an RGB colour mask.

    Palette and greyscale images are read as indices; values must be classes of
    ``label_set``, void, or in ``allow`` (an ignore index outside the classes, say). RGB
    masks need ``label_set`` to map colours. 16-bit masks are refused where a value is over 255.
    """
    label_set = label_set or LabelSet.voc()
    name = name or str(src)
    try:
        with Image.open(src) as im:
            im.load()
            mode = im.mode
            if mode in ("P", "L", "I", "I;16", "1"):
                arr = np.asarray(im)
            elif mode in ("RGB", "RGBA"):
                arr = labels_from_rgb(np.asarray(im.convert("RGB")), label_set, name)
            else:
                raise FormatError(f"{name}: cannot read a label map from a {mode} image; "
                                  "give a palette, greyscale or RGB PNG")
    except FormatError:
        raise
    except FileNotFoundError:
        raise FormatError(f"{name} does not exist") from None
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise FormatError(f"{name} is not a readable label image ({e.__class__.__name__})") from None
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if arr.ndim != 2:
        raise FormatError(f"{name} is not a single-channel label map")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise FormatError(f"{name} has values up to {int(arr.max())}; a label map holds 0-255")
    extra = np.isin(arr, list(allow)) if allow else np.zeros(arr.shape, bool)
    bad = np.unique(arr[(arr >= len(label_set)) & (arr != label_set.void_index) & ~extra])
    if bad.size:
        raise FormatError(f"{name} has values {', '.join(map(str, bad[:5].tolist()))} that are no class "
                          f"of the {len(label_set)}-class label set; give the right class list")
    return arr.astype(np.uint8)


def binary_mask_classes(arr: np.ndarray, label_set: LabelSet, name: str = "mask",
                        ignore_index: int | None = 255) -> tuple[np.ndarray, str | None]:
    """A two-valued 0/255 mask, the usual person-mask format, against a two-class label set
    means background / the class, not background / void: ``(labels, note)``.

    With more classes the values are kept (255 stays void) and the note warns, since a binary
    mask is then probably meant; with other values nothing changes and the note is None.
    """
    if ignore_index != 255 or label_set.void_index != 255:
        return arr, None
    counts = np.bincount(arr.ravel(), minlength=256)
    values = set(np.flatnonzero(counts).tolist())
    if not counts[255] or not values <= {0, 255}:
        return arr, None
    if len(label_set) == 2:
        return np.where(arr == 255, 1, 0).astype(np.uint8), (
            f"{name} holds only 0 and 255: read as a binary mask, 255 = {label_set.names[1]}")
    return arr, (f"{name} holds only 0 and 255, read as background and void; if it is a binary mask, "
                 "evaluate with a two-class label set (background and the class)")


def write_voc_dataset(root: str | os.PathLike, items, label_set: LabelSet,
                      split: str = "train") -> Path:
    """Write ``root/JPEGImages/<name>.jpg``, ``root/SegmentationClass/<name>.png`` and
    ``root/ImageSets/Segmentation/<split>.txt`` (+ ``trainval.txt``).

    ``items``: iterable of ``(name, rgb (H, W, 3) uint8, labels (H, W) uint8)``. Laid out as
    ``VOCdevkit/VOC2012`` expects, so ``torchvision.datasets.VOCSegmentation`` reads it.
    """
    root = Path(root)
    names = []
    for name, rgb, labels in items:
        if rgb.shape[:2] != labels.shape:
            raise FormatError(f"{name}: image {rgb.shape[1]}x{rgb.shape[0]} and mask "
                              f"{labels.shape[1]}x{labels.shape[0]} differ in size")
        im = Image.fromarray(rgb)
        write_with(root / "JPEGImages" / f"{name}.jpg", lambda p: im.save(p, format="JPEG", quality=95))
        write_label_png(root / "SegmentationClass" / f"{name}.png", labels, label_set)
        names.append(str(name))
    sets = root / "ImageSets" / "Segmentation"
    for split_name in dict.fromkeys((split, "trainval")):
        write_text(sets / f"{split_name}.txt", "".join(f"{n}\n" for n in names))
    write_text(root / "class_names.txt", "".join(f"{n}\n" for n in label_set.names))
    return root


def read_voc_dataset(root: str | os.PathLike, label_set: LabelSet | None = None,
                     split: str | None = None):
    """Yield ``(name, image path or None, labels)`` of a VOC root (split file, else every mask)."""
    root = Path(root)
    seg = root / "SegmentationClass"
    if not seg.is_dir():
        raise FormatError(f"{root} is not a VOC root: it has no SegmentationClass folder")
    split_file = root / "ImageSets" / "Segmentation" / f"{split}.txt" if split else None
    if split_file is not None:
        if not split_file.is_file():
            raise FormatError(f"{root} has no split {split} ({split_file} is missing)")
        names = [n.strip() for n in split_file.read_text().splitlines() if n.strip()]
    else:
        names = sorted(p.stem for p in seg.glob("*.png"))
    for name in names:
        img = next((p for ext in (".jpg", ".jpeg", ".png") for p in [root / "JPEGImages" / f"{name}{ext}"]
                    if p.is_file()), None)
        yield name, img, read_label_map(seg / f"{name}.png", label_set)
