import numpy as np

from segcore.labels import LabelSet
from segcore.render import legend, legend_entries, overlay
from segcore.segmentation import Segmentation


def test_overlay_tints_classes_not_background():
    img = np.full((20, 20, 3), 100, np.uint8)
    labels = np.zeros((20, 20), np.uint8)
    labels[5:15, 5:15] = 15
    seg = Segmentation(labels, LabelSet.voc())
    out = overlay(img, seg, opacity=0.5, outlines=False)
    assert out.shape == img.shape
    assert tuple(out[0, 0]) == (100, 100, 100)
    assert tuple(out[10, 10]) == (146, 114, 114)  # half-way to person (192,128,128)
    edged = overlay(img, seg, opacity=0.5, outlines=True)
    assert tuple(edged[5, 10]) == (192, 128, 128)  # outline in the class colour


def test_legend_lists_present_classes():
    labels = np.zeros((10, 10), np.uint8)
    labels[:, :3] = 15
    labels[0, 0] = 255
    seg = Segmentation(labels, LabelSet.voc())
    rows = legend_entries(seg)
    assert [r[0] for r in rows] == ["background", "person", "void"]
    assert rows[1][1] == "#c08080" and abs(rows[1][2] - 0.29) < 1e-9
    assert legend(seg).shape[0] >= 3 * 22
