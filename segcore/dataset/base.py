"""A dataset opened lazily: items, statuses, labels read and written back in its own format.

Opening lists file names only; no image is decoded and no label file is read until an item
is visited. Subclasses (one per format) say where an item's labels live and how to read and
write them; this class holds what every format shares: item order, statuses, the label set,
checks on label maps, and the kept previous versions.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import FormatError
from ..fileio import write_with
from ..image import load
from ..labels import LabelSet, voc_colormap
from . import history, sync
from .lock import DatasetLock
from .revisions import ItemLog, Version
from .status import LABELLED, STATUSES, StatusStore, check_status

__all__ = ["Dataset", "Item", "ExportItem", "natural_key", "IMAGE_EXTS", "find_image", "place_image"]

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def natural_key(name: str):
    """Sort key that puts ``img2`` before ``img10``, as file managers and labelme do."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class Item:
    """One image of a dataset. ``image_path`` is None where the image is embedded (labelme)."""

    index: int
    name: str
    image_path: Path | None
    status: str


@dataclass
class ExportItem:
    """One labelled item on its way to an exporter: ``labels`` ``(H, W)`` uint8; the image
    as a file (``image_path``) or read on demand (``rgb()``, RGB uint8 ``(H, W, 3)``)."""

    name: str
    labels: np.ndarray
    image_path: Path | None
    read_image: Callable[[], np.ndarray | None] = field(repr=False, default=lambda: None)

    def rgb(self) -> np.ndarray | None:
        return self.read_image()

    @property
    def file_name(self) -> str:
        """The image's file name with its extension (a PNG where there is no file)."""
        return self.image_path.name if self.image_path is not None else f"{self.name}.png"


class Dataset:
    """Base of every dataset kind. ``len(ds)``, ``ds[i]``, iteration, ``read_labels``,
    ``write_labels``, ``set_status``, ``next_index``, ``add_class``.

    A format (see :mod:`.registry`) also says whether a path is one of its datasets
    (``detect``), opens one (``open``), and may write a whole dataset (``export``)."""

    kind = "dataset"
    priority = 100

    # -- the format ---------------------------------------------------------------------
    @classmethod
    def detect(cls, path: Path) -> bool:
        """Whether ``path`` is a dataset of this format (file names and JSON keys only)."""
        return False

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "Dataset":
        """Open ``path``; ``images``: where the images are if not where the format says;
        ``label_set``: read the labels with these classes instead of the dataset's own."""
        raise NotImplementedError

    @classmethod
    def can_export(cls) -> bool:
        return cls.export.__func__ is not Dataset.export.__func__

    @classmethod
    def export(cls, items: list[ExportItem], out: Path, label_set: LabelSet, notes: list | None = None,
               images: bool = True) -> Path:
        """Write ``items`` as a dataset of this format at ``out``; returns what was written.
        ``images``: put copies of the images where the format expects them (False: the labels
        only, naming the images). What the user should know (images not found...) is
        appended to ``notes``."""
        raise FormatError(f"datasets cannot be written as {cls.kind}")

    def __init__(self, root: Path, names: list[str], status_path: Path,
                 label_set: LabelSet | None):
        self.root = Path(root)
        self._names = names
        self._index = {n: i for i, n in enumerate(names)}
        self._status = StatusStore(status_path)
        self._label_set = label_set
        self._lock: DatasetLock | None = None

    # -- what a subclass provides -------------------------------------------------------
    def image_path(self, i: int) -> Path | None:
        raise NotImplementedError

    def _has_label_file(self, i: int) -> bool:
        raise NotImplementedError

    def _read(self, i: int) -> np.ndarray | None:
        raise NotImplementedError

    def _write(self, i: int, labels: np.ndarray) -> None:
        raise NotImplementedError

    def _write_classes(self, label_set: LabelSet) -> None:
        raise NotImplementedError

    def label_files(self, i: int) -> list[Path]:
        """The files that hold item ``i``'s labels (for the user's information)."""
        raise NotImplementedError

    # -- items --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, i: int) -> Item:
        i = self._check(i)
        return Item(i, self._names[i], self.image_path(i), self.status(i))

    def __iter__(self) -> Iterator[Item]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.root} items={len(self)}>"

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def index_of(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise FormatError(f"no item named {name!r} in {self.root}") from None

    def _check(self, i: int) -> int:
        if not isinstance(i, (int, np.integer)) or not -len(self) <= i < len(self):
            raise IndexError(f"item {i} is outside 0..{len(self) - 1}")
        return int(i) % len(self)

    def read_image(self, i: int) -> np.ndarray:
        """RGB uint8 ``(H, W, 3)`` of item ``i``."""
        return load(self.image_path(self._check(i)))

    # -- statuses -----------------------------------------------------------------------
    def status(self, i: int) -> str:
        i = self._check(i)
        rec = self._status.get(self._names[i])
        if not self._has_label_file(i):
            return "unlabelled"
        return rec if rec in LABELLED else "edited"

    def set_status(self, i: int, status: str) -> None:
        i = self._check(i)
        check_status(status)
        with self.lock:
            self.refresh(i)
            if status in LABELLED and not self._has_label_file(i):
                raise FormatError(f"{self._names[i]} has no labels yet; it cannot be {status}")
            self._status.set(self._names[i], status)

    def item_info(self, i: int) -> dict:
        """What pre-labelling recorded of item ``i``: ``model`` (its name), ``confidence``
        (mean winning-class probability, 0-1); {} where nothing was."""
        return self._status.info(self._names[self._check(i)])

    def set_item_info(self, i: int, **fields) -> None:
        with self.lock:
            self._status.set_info(self._names[self._check(i)], **fields)

    def counts(self) -> dict[str, int]:
        """How many items have each status."""
        out = dict.fromkeys(STATUSES, 0)
        for i in range(len(self)):
            out[self.status(i)] += 1
        return out

    def next_index(self, start: int = -1, statuses=None, step: int = 1, wrap: bool = True) -> int | None:
        """The first item after ``start`` (before it with ``step=-1``) whose status is one of
        ``statuses`` (any status if None); None if there is none."""
        n = len(self)
        if n == 0:
            return None
        wanted = None if statuses is None else {check_status(s) for s in
                                                 ([statuses] if isinstance(statuses, str) else statuses)}
        for k in range(1, n + 1 if wrap else n):
            i = start + step * k
            if not wrap and not 0 <= i < n:
                return None
            i %= n
            if wanted is None or self.status(i) in wanted:
                return i
        return None

    # -- labels -------------------------------------------------------------------------
    @property
    def label_set(self) -> LabelSet | None:
        """The dataset's classes; None for a new folder that has none yet."""
        return self._label_set

    def set_label_set(self, label_set: LabelSet) -> None:
        """Give a dataset without classes its classes (written to its class list)."""
        with self.lock:
            self.refresh()
            self._write_classes(label_set)
            self._label_set = label_set

    def add_class(self, name: str, color=None) -> int:
        """Add a class at the end (colour: the next VOC colormap entry not in use); returns its index."""
        name = str(name).strip()
        if not name:
            raise FormatError("a class needs a name")
        ls = self.label_set
        if ls is None:
            ls = LabelSet(("background",))
        if name in ls.names:
            raise FormatError(f"class {name!r} exists already")
        if color is None:
            used = set(ls.colors) | {ls.void_color}
            color = next(tuple(int(v) for v in c) for c in voc_colormap()[len(ls):] if tuple(int(v) for v in c) not in used)
        new = LabelSet(ls.names + (name,), ls.colors + (tuple(color),), ls.void_index, ls.void_color)
        self.set_label_set(new)
        return len(new) - 1

    #: Whether items open as objects (:meth:`read_objects`): COCO, labelme, VOC with SegmentationObject.
    has_objects = False

    def read_objects(self, i: int):
        """Item ``i``'s :class:`~segcore.objects.Objects` (empty where it has no labels yet);
        None for a semantic dataset (class maps only)."""
        return None

    def write_objects(self, i: int, objects, status: str = "edited") -> dict:
        """Write item ``i``'s objects back: only changed objects rewritten, deleted ones removed,
        new ones added; returns ``{session id: file id}`` for new objects whose id had to change."""
        raise FormatError(f"{self.kind} datasets hold class maps, not objects")

    def overlap(self, i: int) -> np.ndarray | None:
        """``(H, W)`` bool: pixels of item ``i`` covered by two or more instances (COCO); None
        where the format has no instances or the item no labels."""
        return None

    def read_labels(self, i: int) -> np.ndarray | None:
        """``(H, W)`` uint8 labels of item ``i`` (255 void), or None where it has none yet."""
        i = self._check(i)
        if not self._has_label_file(i):
            return None
        return self._read(i)

    def check_labels(self, labels: np.ndarray, name: str = "labels") -> np.ndarray:
        """A label map this dataset can hold: 2-D uint8, values classes or void."""
        labels = np.asarray(labels)
        if labels.ndim != 2:
            raise FormatError(f"{name}: a label map is (H, W), got shape {labels.shape}")
        if labels.dtype != np.uint8:
            if labels.size and (labels.min() < 0 or labels.max() > 255):
                raise FormatError(f"{name}: label values must be 0-255")
            labels = labels.astype(np.uint8)
        ls = self.label_set
        if ls is None:
            raise FormatError(f"{self.root} has no classes yet; set them first (a labels file or set_label_set)")
        counts = np.bincount(labels.ravel(), minlength=256)
        bad = [v for v in np.flatnonzero(counts) if v >= len(ls) and v != ls.void_index]
        if bad:
            raise FormatError(f"{name} has values {', '.join(map(str, bad[:8]))} that are no class of "
                              f"{self.root.name}'s {len(ls)} classes")
        return labels

    def write_labels(self, i: int, labels: np.ndarray, status: str = "edited", *, by: str = "local",
                     tool: str = "", previous: np.ndarray | None = None, digest: str | None = None):
        """Write item ``i``'s labels in the dataset's own format, atomically, keeping the
        previous version; its status becomes ``status``. The version is recorded (``by``: who,
        ``tool``: with what; see :mod:`.revisions`) and returned. This writes whatever is on
        disk: a session that may race another saves through :func:`.sync.save_item`, which
        merges (``previous`` / ``digest``: the labels on disk and their digest, where the
        caller has just read them under the lock).

        The status is recorded before the labels are written: if the process dies between the
        two, the old labels are still there and an edit is never taken for a prediction.
        """
        i = self._check(i)
        check_status(status)
        if status not in LABELLED:
            raise FormatError(f"labels written are {', '.join(LABELLED)}, not {status}")
        labels = self.check_labels(labels, self._names[i])
        size = self.image_size(i)
        if size is not None and tuple(size) != labels.shape:
            raise FormatError(f"{self._names[i]}: labels are {labels.shape[1]}x{labels.shape[0]} but the "
                              f"image is {size[1]}x{size[0]}")
        with self.lock:
            if digest is None:
                self.refresh(i)
                digest = self.item_digest(i)
                try:
                    previous = self.read_labels(i)
                except FormatError:
                    previous = None       # a broken file is replaced (its copy kept in history/)
            sync.before_write(self, i, previous, digest)
            self._status.set(self._names[i], status)
            self._write(i, labels)
            return sync.after_write(self, i, labels, previous, by, tool)

    # -- several hands on one dataset (see .sync) -------------------------------------------
    @property
    def lock(self) -> DatasetLock:
        """The dataset's lock, across threads and processes (``with ds.lock:``)."""
        if self._lock is None:
            self._lock = DatasetLock(self.root)
        return self._lock

    def refresh(self, i: int | None = None) -> None:
        """Forget what is cached of item ``i``'s labels (every item's: None) where its files
        changed on disk since they were read (another process wrote them)."""
        self._status.reload()

    def item_stamp(self, i: int) -> tuple:
        """A cheap fingerprint of item ``i``'s label files (size, time, inode): when it is
        unchanged, so are the labels."""
        out = []
        for p in self.label_files(self._check(i)):
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def item_digest(self, i: int) -> str:
        """A hash of item ``i``'s labels as on disk ("" where it has none)."""
        i = self._check(i)
        if not self._has_label_file(i):
            return ""
        h = hashlib.sha1()
        for p in self.label_files(i):
            try:
                h.update(p.read_bytes())
            except OSError:
                h.update(b"-")
        return h.hexdigest()

    def image_size(self, i: int) -> tuple[int, int] | None:
        """``(H, W)`` of item ``i``'s image, read from its header (None if unknown)."""
        from ..image import image_size

        p = self.image_path(i)
        return image_size(p) if p is not None and p.is_file() else None

    def _keep(self, path: Path) -> None:
        history.keep_previous(self.root, path)

    def item_versions(self, i: int) -> list[Version]:
        """Every kept version of item ``i`` (who, when, with what), oldest first."""
        return ItemLog(self.root, self._names[self._check(i)]).versions()

    def read_version(self, i: int, number: int) -> np.ndarray:
        """``(H, W)`` uint8: item ``i``'s labels as version ``number`` had them."""
        return ItemLog(self.root, self._names[self._check(i)]).read(number)

    def versions(self, i: int) -> list[Path]:
        """Kept copies of item ``i``'s label files before each overwrite, oldest first."""
        return [v for p in self.label_files(self._check(i)) for v in history.versions(self.root, p)]


def find_image(folders, name: str) -> Path | None:
    """The image for item ``name`` in one of ``folders``: the file itself if ``name`` has an
    image extension, else the first ``<name><ext>``."""
    for folder in folders:
        if folder is None:
            continue
        direct = Path(folder) / name
        if direct.suffix.lower() in IMAGE_EXTS and direct.is_file():
            return direct
        stem = Path(name).stem if Path(name).suffix.lower() in IMAGE_EXTS else name
        for ext in IMAGE_EXTS:
            for e in (ext, ext.upper()):
                p = Path(folder) / f"{stem}{e}"
                if p.is_file():
                    return p
    return None


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, in natural order, by extension only (nothing decoded)."""
    with os.scandir(folder) as it:
        found = [Path(e.path) for e in it if e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_EXTS
                 and not e.name.startswith(".")]
    return sorted(found, key=lambda p: natural_key(p.name))


def place_image(it: ExportItem, dest: Path) -> bool:
    """Put an item's image at ``dest``: a copy of its file, else its pixels as PNG; False
    where the item has no image."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if it.image_path is not None and it.image_path.is_file():
        if dest.exists() and dest.resolve() == it.image_path.resolve():
            return True
        write_with(dest, lambda p: shutil.copyfile(it.image_path, p), keep_backup=False)
        return True
    rgb = it.rgb()
    if rgb is None:
        return False
    from PIL import Image

    write_with(dest, lambda p: Image.fromarray(rgb).save(p, format="PNG"), keep_backup=False)
    return True

