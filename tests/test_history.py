"""Undo / redo: exact steps back and forth, the redo branch dropped on a new edit, bounded."""

import numpy as np

from segcore.edit import History
from segcore.labels import LabelSet
from segcore.segmentation import Segmentation

LS = LabelSet(("background", "a", "b"))


def seg(v, conf=False):
    labels = np.full((30, 40), v, np.uint8)
    labels[0, 0] = 255
    return Segmentation(labels, LS, np.full((30, 40), 0.5 + v / 10, np.float32) if conf else None)


def test_undo_redo_give_back_the_exact_steps():
    h = History(seg(0, conf=True))
    for v in (1, 2):
        h.push(seg(v))
    assert h.current.labels[5, 5] == 2 and h.can_undo and not h.can_redo
    assert h.undo().labels[5, 5] == 1
    first = h.undo()
    np.testing.assert_array_equal(first.labels, seg(0).labels)
    assert first.confidence is not None and first.confidence[3, 3] == np.float32(0.5)
    assert not h.can_undo and h.undo() is h.current          # nothing further back
    assert h.redo().labels[5, 5] == 1 and h.redo().labels[5, 5] == 2 and not h.can_redo
    h.undo()
    h.push(seg(0))                                            # a new edit drops the redo branch
    assert not h.can_redo and h.undo().labels[5, 5] == 1


def test_history_is_bounded():
    h = History(seg(0), limit=5)
    for k in range(20):
        h.push(seg(k % 3))
    steps = 0
    while h.can_undo:
        h.undo()
        steps += 1
    assert steps == 4
