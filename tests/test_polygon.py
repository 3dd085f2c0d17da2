"""The polygon tool's region: exact pixels, and one-line errors for bad polygons."""

import numpy as np
import pytest

from segcore.edit import ApplyRule, EditSession, polygon_region
from segcore.errors import PromptError
from segcore.labels import LabelSet
from segcore.segmentation import Segmentation


def test_rectangle_and_triangle_pixels():
    rect = polygon_region([[1, 1], [5, 1], [5, 4], [1, 4]], (8, 8))
    want = np.zeros((8, 8), bool)
    want[1:5, 1:6] = True
    assert (rect == want).all()
    tri = polygon_region([[0, 0], [4, 0], [0, 4]], (6, 6))
    assert tri.sum() == 15 and tri[0, 4] and tri[4, 0] and not tri[4, 1]


@pytest.mark.parametrize("points, words", [
    ([[0, 0], [5, 0]], "three different"), ([[0, 0], [0, 0], [3, 3]], "three different"),
    ([[0, 0], [9, 0], [3, 3]], "off the 8x8"), ("nope", "list of"), ([[0, 0], [float("nan"), 1], [2, 2]], "numbers"),
])
def test_bad_polygons_say_why(points, words):
    with pytest.raises(PromptError, match=words):
        polygon_region(points, (8, 8))


def test_polygon_follows_the_overwrite_rule_and_locks():
    labels = np.zeros((10, 10), np.uint8)
    labels[:, 5:] = 2
    ls = LabelSet.from_names(["background", "car", "road"])
    s = EditSession(np.zeros((10, 10, 3), np.uint8), Segmentation(labels, ls), rule=ApplyRule(locked={2}))
    s.region(polygon_region([[0, 0], [9, 0], [9, 9], [0, 9]], s.shape), 1)
    assert (s.labels[:, :5] == 1).all() and (s.labels[:, 5:] == 2).all()
