"""The editing tools of one image (segcore.edit.EditSession) and the dataset workspace."""

import numpy as np
import pytest

from conftest import scene_dataset
from segcore.dataset import Workspace, open_dataset
from segcore.edit import EditSession, magic_wand, paint_strokes
from segcore.errors import PromptError
from segcore.labels import LabelSet
from segcore.models.registry import load_model
from segcore.segmentation import Segmentation

LS = LabelSet(("background", "car", "person"))


def scene():
    rgb = np.full((120, 160, 3), 30, np.uint8)
    rgb[30:90, 40:120] = (230, 200, 40)
    return rgb


def session(labels=None):
    rgb = scene()
    return EditSession(rgb, Segmentation(np.zeros(rgb.shape[:2], np.uint8) if labels is None else labels, LS))


def test_wand_fills_the_connected_region_within_tolerance():
    rgb = scene()
    rgb[35:40, 45:50] = (240, 210, 50)         # within 10 of the square's colour
    rgb[60:62, 60:62] = (120, 120, 120)        # far from it: a hole
    m = magic_wand(rgb, 80, 50, tolerance=12)
    assert m[30:90, 40:120].sum() == 60 * 80 - 4 and not m[:30].any()
    assert not magic_wand(rgb, 80, 50, tolerance=5)[35:40, 45:50].any()
    with pytest.raises(PromptError):
        magic_wand(rgb, 500, 5)


def test_strokes_are_pixel_exact_without_gaps():
    labels = np.zeros((50, 60), np.uint8)
    out = paint_strokes(labels, [{"points": [[5, 10], [40, 10], [40, 30]], "radius": 2, "cls": 1}], 3)
    yy, xx = np.mgrid[:50, :60]
    # Every pixel within the brush radius of the polyline is painted, nothing beyond radius + 1.
    d = np.minimum(np.hypot(xx - np.clip(xx, 5, 40), yy - 10), np.hypot(xx - 40, yy - np.clip(yy, 10, 30)))
    assert (out[d <= 2] == 1).all() and not out[d >= 4].any()
    erased = paint_strokes(out, [{"points": [[20, 10]], "radius": 1, "erase": True}], 3)
    assert erased[10, 20] == 255 and erased[10, 30] == 1      # the eraser writes void by default
    with pytest.raises(PromptError):
        paint_strokes(labels, [{"points": [[1, 1]], "radius": 2, "cls": 7}], 3)
    with pytest.raises(PromptError):
        paint_strokes(labels, [{"radius": 2}], 3)


def test_clicks_form_runs_undo_takes_back_the_click_and_its_marker():
    s = session()
    s.click(80, 60, True, "car")
    assert s.markers == [(80, 60, True)]
    car = s.labels == 1
    assert car[30:90, 40:120].mean() > 0.9 and car.sum() < 1.3 * 60 * 80
    s.click(5, 5, False, "car")
    assert s.markers == [(80, 60, True), (5, 5, False)]
    s.undo()
    assert s.markers == [(80, 60, True)]
    s.redo()
    assert len(s.markers) == 2
    s.click(10, 100, True, "person")          # another class starts a new run
    assert s.markers == [(10, 100, True)]
    assert (s.labels == 1).sum() > 0.9 * 60 * 80   # the car run's result stays


def test_box_corners_and_scribbles_stay_local():
    base = np.zeros((120, 160), np.uint8)
    base[100:, :20] = 2                        # a person far away from the box
    s = session(base)
    assert s.box_corner(35, 25, "car") is None and s.corner == (35, 25)
    s.box_corner(125, 95, "car")
    assert s.corner is None and (s.labels[30:90, 40:120] == 1).mean() > 0.9
    assert (s.labels[100:, :20] == 2).all()
    before = s.labels.copy()
    s.paint([{"points": [[60, 10], [70, 10]], "radius": 3, "cls": 2}])
    changed = s.labels != before
    ys, xs = np.nonzero(changed)
    assert changed.any() and ys.max() <= 13 and xs.min() >= 57 and xs.max() <= 73
    with pytest.raises(PromptError):
        s.box_corner(3, 3, "car"), s.box_corner(3, 40, "car")


def test_segment_again_is_a_step_not_a_wipe():
    s = session()
    s.paint([{"points": [[10, 10]], "radius": 4, "cls": 2}])
    edited = s.labels.copy()
    s.replace(load_model("grabcut").predict(s.rgb))
    s.undo()
    assert np.array_equal(s.labels, edited)


def test_workspace_saves_every_change_and_resumes(tmp_path):
    folder = scene_dataset(tmp_path / "ds", n=3)
    ws = Workspace(open_dataset(folder))
    ws.open(ws.first_to_review())
    ws.session.wand(100, 100, 10, "car")
    ws.changed()
    ws.step(1)                                  # moving saves
    ds = open_dataset(folder)
    assert ds.status(0) == "edited" and (ds.read_labels(0)[60:180, 80:240] == 1).all()
    ws.mark_reviewed()                          # an item with no labels yet: saved as it is
    assert open_dataset(folder).status(1) == "reviewed"
    ws.session.paint([{"points": [[5, 5]], "radius": 2, "cls": 2}])
    ws.changed()
    ws.save()
    assert open_dataset(folder).status(1) == "reviewed"   # correcting keeps it reviewed
    again = Workspace(open_dataset(folder))
    assert again.first_to_review() == 0
    again.open(again.ds.next_index(-1, ("unlabelled",)))
    assert again.index == 2
    assert ws.step(1, not_reviewed=True) is not None and ws.index in (0, 2)


def test_workspace_takes_a_models_classes_when_it_has_none(tmp_path):
    from PIL import Image

    (tmp_path / "f").mkdir()
    Image.fromarray(scene()).save(tmp_path / "f" / "a.png")
    ws = Workspace(open_dataset(tmp_path / "f"))
    ws.open(0)
    assert ws.label_set.names == ("background",)
    ws.predict_current(load_model("grabcut"))
    ws.save()
    ds = open_dataset(tmp_path / "f")
    assert ds.label_set.names == ("background", "foreground") and ds.status(0) == "predicted"
    assert ws.add_class("car") == 2 and ws.session.seg.label_set.names[-1] == "car"
