import numpy as np
import pytest

from segcore.errors import PromptError
from segcore.edit import EditSession
from segcore.edit.click_rule import reach
from segcore.edit.interactive import parse_points, scribble_segment, snap_to_superpixels
from segcore.labels import LabelSet
from segcore.segmentation import Segmentation


def two_tone(h=120, w=160):
    """Left half red-ish, right half blue-ish, a green square on the right: noisy but separable."""
    rng = np.random.default_rng(0)
    rgb = np.zeros((h, w, 3), np.float32)
    rgb[:, : w // 2] = (200, 60, 50)
    rgb[:, w // 2:] = (50, 80, 200)
    rgb[30:90, 100:140] = (60, 200, 70)
    rgb += rng.normal(0, 6, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_parse_points():
    assert parse_points("1,2,1; 3.4,5,0") == [(1, 2, True), (3, 5, False)]
    with pytest.raises(PromptError):
        parse_points("1,2")


LS4 = LabelSet(("sky", "road", "tree", "square"))   # class 0 is a real class


def test_click_grows_and_cuts():
    rgb = two_tone()
    labels = np.full((120, 160), 255, np.uint8)
    s = EditSession(rgb, Segmentation(labels, LS4))
    s.click(120, 60, True, 3)
    square = np.zeros_like(labels, bool)
    square[30:90, 100:140] = True
    region = s.labels == 3
    assert (region & square).sum() / (region | square).sum() > 0.8
    spilled = labels.copy()
    spilled[30:90, 80:140] = 3                   # the square plus a strip of blue beside it
    s = EditSession(rgb, Segmentation(spilled, LS4))
    s.click(90, 60, False, 3)
    cut = s.labels
    yy, xx = np.mgrid[:120, :160]
    near = np.hypot(xx - 90, yy - 60) <= reach((120, 160))
    strip = np.zeros_like(square)
    strip[30:90, 80:96] = True
    assert (cut[strip & near] == 255).mean() > 0.9    # the negative click removed the strip near it,
    assert (cut[strip & ~near] == 3).all()            # to void (no class is background), nothing far
    assert (cut[35:85, 105:135] == 3).mean() > 0.9    # and kept the square
    s.click(90, 36, False, 3)                          # the rest of the strip: two clicks more
    s.click(90, 84, False, 3)
    cut = s.labels
    assert (cut[strip] == 3).mean() < 0.1 and (cut[strip] == 255).mean() > 0.9
    assert (cut[35:85, 105:135] == 3).mean() > 0.9
    with pytest.raises(PromptError, match="off the"):
        s.click(500, 5, True, 3)


def test_scribbles_only_change_near_the_strokes():
    rgb = two_tone()
    labels = np.zeros((120, 160), np.uint8)
    labels[0:10, 0:10] = 3                       # an unrelated region far away
    fg = np.zeros((120, 160), bool)
    fg[55:65, 110:130] = True                    # a stroke on the green square
    bg = np.zeros_like(fg)
    bg[55:65, 85:95] = True                      # a background stroke on blue
    out = scribble_segment(rgb, labels, fg, bg, cls=3)
    assert out[60, 120] == 3 and out[40, 105] == 3
    assert out[60, 90] == 0 and (out[0:10, 0:10] == 3).all()   # 0 was there: nothing removed


def test_superpixel_snap_follows_edges():
    rgb = two_tone()
    stroke = np.zeros((120, 160), bool)
    stroke[58:62, 105:135] = True                # a thin stroke inside the square
    snapped = snap_to_superpixels(rgb, stroke, segment_px=200)
    square = np.zeros_like(stroke)
    square[30:90, 100:140] = True
    assert snapped.sum() > 3 * stroke.sum()       # widened
    assert (snapped & ~square).sum() < 0.1 * snapped.sum()   # but it stays on the square
