"""Edits that never destroy a label: each tool changes only the object it points at, under
the overwrite rule, and class 0 is a class like any other (here it is ``sky``)."""

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import grown_box
from segcore.dataset import Workspace, open_dataset
from segcore.edit import ApplyRule, EditSession
from segcore.errors import PromptError
from segcore.labels import LabelSet
from segcore.models import list_prompters, load_prompter
from segcore.models.prompters.grabcut import GrabCutPrompter
from segcore.segmentation import Segmentation

LS = LabelSet(("sky", "road", "car", "pedestrian"))


def street(h=160, w=240, seed=0):
    """Sky on top, road below, two cars and three pedestrians of distinct colours, noisy."""
    rng = np.random.default_rng(seed)
    rgb = np.zeros((h, w, 3), np.float32)
    labels = np.zeros((h, w), np.uint8)
    rgb[:60] = (120, 170, 230)
    rgb[60:] = (90, 90, 90)
    labels[60:] = 1
    for x0 in (20, 150):
        rgb[80:120, x0:x0 + 60] = (200, 30, 30)
        labels[80:120, x0:x0 + 60] = 2
    for x0 in (100, 128, 225):
        rgb[50:110, x0:x0 + 8] = (30, 160, 40)
        labels[50:110, x0:x0 + 8] = 3
    rgb += rng.normal(0, 5, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8), labels


def test_a_click_box_and_wand_on_a_labelled_object_change_nothing_outside_it():
    rgb, labels = street()
    for cls, (x, y) in ((2, (50, 100)), (3, (104, 80)), (2, (180, 100))):
        _, comp = cv2.connectedComponents((labels == cls).astype(np.uint8))
        obj = comp == comp[y, x]
        ys, xs = np.nonzero(obj)
        grown, _ = grown_box(obj)
        for tool in ("click", "box", "wand"):
            s = EditSession(rgb, Segmentation(labels, LS))
            if tool == "click":
                s.click(x, y, True, cls)
            elif tool == "box":
                s.box(xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, cls)
            else:
                s.wand(x, y, None, cls)
            changed = s.labels != labels
            assert not (changed & ~grown).any(), (cls, tool)
            assert (s.labels[labels == 0] == 0).all()          # the sky keeps every pixel


def test_adding_one_pedestrian_leaves_the_others_and_its_own_pixels():
    rgb, labels = street()
    start = labels.copy()
    start[start == 3] = 1                    # pedestrians not labelled yet: road there
    start[50:60][labels[50:60] == 3] = 0
    s = EditSession(rgb, Segmentation(start, LS))
    s.click(104, 80, True, "pedestrian")
    assert (s.labels[:, 128:] == start[:, 128:]).all()       # the other pedestrians' pixels untouched
    assert (s.labels == 3)[55:105, 101:107].mean() > 0.8
    s.click(131, 80, True, "pedestrian")                      # the second one joins, the first stays
    assert (s.labels == 3)[55:105, 101:107].mean() > 0.8 and (s.labels == 3)[55:105, 129:135].mean() > 0.8


def test_a_negative_click_gives_pixels_back_never_to_class_0():
    rgb, labels = street()
    spilled = labels.copy()
    spilled[80:120, 80:95] = 2              # the car spills onto the road
    s = EditSession(rgb, Segmentation(spilled, LS))
    s.click(87, 100, False, "car")
    assert not (s.labels[80:120, 80:95] == 0).any()           # never sky
    assert (s.labels[80:120, 80:95] == 255).mean() > 0.8       # void: no class is named background
    assert (s.labels[80:120, 20:80] == 2).mean() > 0.95
    # Within a run, what a negative click gives up goes back to what it was before the run.
    s = EditSession(rgb, Segmentation(np.where(labels == 2, 1, labels).astype(np.uint8), LS))
    s.click(50, 100, True, "car")
    s.click(5, 150, False, "car")
    assert (s.labels[140:, :10] == 1).all()


def test_locked_classes_keep_every_pixel_and_unlabelled_only_fills_void():
    rgb, labels = street()
    rule = ApplyRule("unlocked", locked={1})
    s = EditSession(rgb, Segmentation(labels, LS), rule=rule)
    s.box(10, 70, 90, 130, "car")
    s.paint([{"points": [[10, 150], [200, 150]], "radius": 6, "cls": 2}])
    assert (s.labels[labels == 1] == 1).all()
    s.paint([{"points": [[50, 100]], "radius": 10, "erase": True}])
    assert (s.labels[labels == 1] == 1).all() and (s.labels[95:105, 45:55] == 255).all()
    with pytest.raises(PromptError, match="locked"):
        s.click(5, 150, True, "road")
    s.rule = ApplyRule("any", locked={1})                         # any: locks do not hold
    s.paint([{"points": [[10, 150]], "radius": 3, "cls": 2}])
    assert s.labels[150, 10] == 2
    holes = labels.copy()
    holes[0:20, 0:20] = 255
    s = EditSession(rgb, Segmentation(holes, LS), rule=ApplyRule("unlabelled"))
    s.paint([{"points": [[0, 10], [200, 10]], "radius": 15, "cls": 3}])
    assert (s.labels[0:20, 0:20] == 3).all() and (s.labels[labels == 0][holes[labels == 0] != 255] == 0).all()


def test_background_by_name_is_what_erasing_and_unlabelled_mean():
    ls = LabelSet(("background", "car"))
    labels = np.ones((40, 40), np.uint8)
    s = EditSession(np.zeros((40, 40, 3), np.uint8), Segmentation(labels, ls))
    s.paint([{"points": [[20, 20]], "radius": 3, "erase": True}])
    assert s.labels[20, 20] == 0
    s.paint([{"points": [[5, 5]], "radius": 2, "erase": True}], erase_to=255)
    assert s.labels[5, 5] == 255


def test_wand_stays_in_the_clicked_region_and_does_not_cross_locked_pixels():
    rgb, labels = street()
    rgb[60:, :] = (200, 30, 30)             # the road has the cars' colour now
    rgb[80:120, 20:80] = (205, 32, 28)
    s = EditSession(rgb, Segmentation(labels, LS))
    s.wand(50, 100, 20, "pedestrian")
    changed = s.labels != labels
    assert changed.any() and (labels[changed] == 2).all()    # only the car it was clicked on
    assert s.default_tolerance() >= 4


def test_unlabelled_items_open_as_void_not_class_0(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    rgb, _ = street()
    Image.fromarray(rgb).save(folder / "a.png")
    (folder / "labels.txt").write_text("sky\nroad\ncar\n")
    ws = Workspace(open_dataset(folder))
    ws.open(0)
    assert (ws.session.labels == 255).all()


def test_segment_fills_only_unlabelled_pixels_unless_replace(tmp_path):
    class Everything:
        label_set = LS
        spec = None

        def predict(self, rgb):
            return Segmentation(np.full(rgb.shape[:2], 2, np.uint8), LS)

    folder = tmp_path / "f"
    folder.mkdir()
    rgb, labels = street()
    Image.fromarray(rgb).save(folder / "a.png")
    (folder / "labels.txt").write_text("sky\nroad\ncar\npedestrian\n")
    ws = Workspace(open_dataset(folder))
    ws.open(0)
    part = labels.copy()
    part[:30] = 255
    ws.session.push(part)
    ws.predict_current(Everything())
    assert (ws.session.labels[:30] == 2).all() and (ws.session.labels[30:] == part[30:]).all()
    ws.mark_reviewed()
    ws.predict_current(Everything(), replace=True)
    assert (ws.session.labels == 2).all()
    ws.save()
    assert ws.ds.status(0) == "edited"          # a model replaced its labels: review it again
    ws.session.undo()
    assert (ws.session.labels[30:] == part[30:]).all()


def test_prompters_share_one_interface():
    assert {"grabcut", "selfie"} <= set(list_prompters())
    p = load_prompter("grabcut")
    rgb, labels = street()
    with pytest.raises(PromptError, match="set_image"):
        p.predict([(5, 5, True)])
    p.set_image(rgb)
    r = p.predict([(50, 100, True)])
    car = labels == 2
    assert r.mask.shape == labels.shape and r.mask.dtype == bool
    assert (r.mask & car).sum() / (r.mask | car).sum() > 0.4
    again = p.predict([(50, 100, True), (180, 100, True)], mask_input=r.logits)
    assert again.mask[90:110, 160:200].mean() > 0.5
    assert p.predict(box=(150, 75, 215, 125)).mask[:, :140].sum() == 0
    for bad in ([(500, 5, True)], [("x", 1, True)]):
        with pytest.raises(PromptError):
            p.predict(bad)
    with pytest.raises(PromptError, match="empty"):
        p.predict(box=(3, 3, 4, 40))
    assert isinstance(p, GrabCutPrompter)
