"""What the instance formats (COCO, labelme, VOC with ``SegmentationObject``) share: an item
opens as objects (:class:`~segcore.objects.Objects`), its class map is drawn from them, and a
class map written to it (a model's prediction, pre-labelling) becomes object changes by
:func:`~segcore.objects.apply_class_map`, so both ways of writing go through ``write_objects``.

A format provides ``_objects(i)`` (the objects in the file) and ``_write_objects(i, objects)``
(write back what differs from ``self._on_disk``, the objects the file holds: an object that is
the same in class and pixels is not rewritten).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..errors import FormatError
from ..objects import Obj, Objects, apply_class_map
from .status import LABELLED, check_status

__all__ = ["InstanceMixin"]


class InstanceMixin:
    """Mixed into a :class:`~segcore.dataset.base.Dataset` of an instance format."""

    has_objects = True
    _ON_DISK = 8            # items whose file objects are remembered (to tell what changed)

    def _objects(self, i: int) -> Objects:
        raise NotImplementedError

    def _write_objects(self, i: int, objects: Objects) -> dict:
        raise NotImplementedError

    # -- what the file holds ----------------------------------------------------------
    def _remember(self, i: int, objects: Objects) -> None:
        cache = self.__dict__.setdefault("_disk", OrderedDict())
        # with the files' stamp: another process's write makes it stale (read again)
        cache[self._names[i]] = (self.item_stamp(i), {o.id: o for o in objects})
        cache.move_to_end(self._names[i])
        while len(cache) > self._ON_DISK:
            cache.popitem(last=False)

    def _on_disk(self, i: int) -> dict[int, Obj]:
        """``{id: Obj}`` of the objects item ``i``'s file holds now."""
        cache = self.__dict__.setdefault("_disk", OrderedDict())
        got = cache.get(self._names[i])
        if got is None or got[0] != self.item_stamp(i):
            self.refresh(i)
            self._remember(i, self._objects(i))
            got = cache[self._names[i]]
        return got[1]

    def _forget(self, i: int) -> None:
        self.__dict__.setdefault("_disk", OrderedDict()).pop(self._names[i], None)

    # -- the Dataset API ----------------------------------------------------------------
    def read_objects(self, i: int) -> Objects:
        i = self._check(i)
        objects = self._objects(i)
        self._remember(i, objects)
        return objects

    def write_objects(self, i: int, objects: Objects, status: str = "edited") -> dict:
        i = self._check(i)
        check_status(status)
        if status not in LABELLED:
            raise FormatError(f"labels written are {', '.join(LABELLED)}, not {status}")
        if not isinstance(objects, Objects):
            raise FormatError("write_objects takes an Objects (segcore.objects)")
        size = self.image_size(i)
        if size is not None and tuple(size) != objects.shape:
            raise FormatError(f"{self._names[i]}: objects are {objects.shape[1]}x{objects.shape[0]} but the "
                              f"image is {size[1]}x{size[0]}")
        ls = self.label_set
        bad = [o for o in objects if o.cls != ls.void_index and not 0 <= o.cls < len(ls)]
        if bad:
            raise FormatError(f"object {bad[0].id} has class {bad[0].cls}, not one of {self.root.name}'s "
                              f"{len(ls)} classes")
        self._status.set(self._names[i], status)
        # a session that wrote a new object under another id writes it again under its own
        # until it is renumbered: the same file id each time, never a second copy
        aliases = self.__dict__.setdefault("_aliases", {}).setdefault(self._names[i], {})
        mapping = self._write_objects(i, objects.renumbered(aliases))
        aliases.update(mapping)
        return {a: b for a, b in aliases.items() if objects.find(a) is not None}

    def _read(self, i: int) -> np.ndarray:
        return self.read_objects(i).class_map().copy()

    def _write(self, i: int, labels: np.ndarray) -> None:
        self._write_objects(i, apply_class_map(self.read_objects(i), labels))

    def overlap(self, i: int) -> np.ndarray | None:
        i = self._check(i)
        if not self._has_label_file(i):
            return None
        return self.read_objects(i).overlap()
