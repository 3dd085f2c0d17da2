"""Objects and the object session: every tool acts on one object and never takes a pixel from
another; removing from the top object uncovers what lies beneath; locks and the overwrite rule
hold per object; object actions are undoable steps; the history stays small."""

from __future__ import annotations

import numpy as np
import pytest

from segcore.edit import ApplyRule, ObjectSession
from segcore.edit.click_rule import reach
from segcore.errors import PromptError
from segcore.labels import LabelSet
from segcore.models.prompters.grabcut import GrabCutPrompter
from segcore.objects import Obj, ObjMask, Objects, apply_class_map, objects_from_class_map

LS = LabelSet(("background", "car", "person"))
SKY = LabelSet(("sky", "car", "person"))        # class 0 is a class like any other


def scene(h=80, w=100):
    """Two overlapping objects (a person on top of a car) and a second person touching the first."""
    car = np.zeros((h, w), bool)
    car[10:50, 10:60] = True
    p1 = np.zeros((h, w), bool)
    p1[30:70, 40:70] = True
    p2 = np.zeros((h, w), bool)
    p2[30:70, 70:90] = True                         # touches p1 along x = 69 | 70
    items = [Obj(7, 1, ObjMask.from_full(car)), Obj(8, 2, ObjMask.from_full(p1)), Obj(9, 2, ObjMask.from_full(p2))]
    return Objects((h, w), LS, items), car, p1, p2


def photo(h=80, w=100, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((h, w, 3)) * 255).astype(np.uint8)


def painted(car, p1, p2, seed=0):
    """A photo whose objects have their own colours (and a little noise)."""
    rng = np.random.default_rng(seed)
    rgb = np.full(car.shape + (3,), 120, np.int16)
    rgb[car] = (200, 40, 40)
    rgb[p1] = (40, 200, 40)
    rgb[p2] = (40, 40, 200)
    return np.clip(rgb + rng.integers(-8, 9, rgb.shape), 0, 255).astype(np.uint8)


def stroke(x0, y0, x1, y1, r=3, cls=None, erase=False):
    s = {"points": [[x0, y0], [x1, y1]], "radius": r, "erase": erase}
    if not erase:
        s["cls"] = cls
    return s


def masks(s: ObjectSession) -> dict[int, np.ndarray]:
    return {o.id: o.mask.full(s.shape) for o in s.objects}


def test_background_is_a_name_and_class_0_is_a_class():
    assert LS.background == 0 and LS.unlabelled == 0
    assert SKY.background is None and SKY.unlabelled == 255
    assert LabelSet(("car", "_background_")).background == 1
    assert LabelSet(("car", "BACKGROUND")).background == 1


def test_class_map_rule_higher_on_top_and_one_object_per_region():
    objs, car, p1, p2 = scene()
    cm = objs.class_map()
    assert (cm[car & ~p1] == 1).all() and (cm[p1] == 2).all() and (cm[~(car | p1 | p2)] == 0).all()
    assert objs.top_at(45, 40).id == 8 and [o.id for o in objs.at(45, 40)] == [8, 7]
    assert objs.overlap().sum() == (car & p1).sum()
    moved = objs.move(8, 0)                          # the car on top now
    assert (moved.class_map()[car & p1] == 1).all() and (objs.class_map()[car & p1] == 2).all()
    sky = objects_from_class_map(np.where(car, 1, 0).astype(np.uint8), SKY)
    assert {o.cls for o in sky} == {0, 1}            # sky is an object, not background
    with pytest.raises(PromptError, match="no object 99"):
        objs.get(99)


def test_apply_class_map_changes_only_touched_objects_and_keeps_overlaps():
    objs, car, p1, p2 = scene()
    new = objs.class_map().copy()
    new[72:76, 5:15] = 1                             # a new car region, touching nothing
    new[60:66, 75:80] = 1                            # car paint across person 9 only
    after = apply_class_map(objs, new)
    np.testing.assert_array_equal(after.class_map(), new)
    assert after.get(7) is objs.get(7) and after.get(8) is objs.get(8)       # untouched: the same Obj
    assert after.get(9).area == p2.sum() - 30
    assert len(after) == 5 and after.items[-1].cls == 1
    assert (after.get(7).mask.full(objs.shape) == car).all()                  # overlap under 8 kept


def test_erasing_the_top_object_uncovers_the_one_beneath_and_takes_nothing_from_it():
    objs, car, p1, p2 = scene()
    s = ObjectSession(photo(), objs)
    before = masks(s)
    s.select(8)
    assert s.paint([stroke(42, 35, 58, 35, r=4, erase=True)])
    after = masks(s)
    gone = before[8] & ~after[8]
    assert gone.sum() > 50 and (gone & car).sum() > 20
    np.testing.assert_array_equal(after[7], before[7])
    np.testing.assert_array_equal(after[9], before[9])
    assert (s.labels[gone & car] == 1).all() and (s.labels[gone & ~car] == 0).all()
    # nothing selected: the eraser takes each pixel from the top visible object there
    s.select(None)
    s.paint([stroke(45, 45, 55, 45, r=2, erase=True)])
    final = masks(s)
    np.testing.assert_array_equal(final[7], before[7])
    assert (final[8] != after[8]).any()
    # a region removed (polygon) from the selected object only
    s.select(7)
    region = np.zeros(s.shape, bool)
    region[20:40, 20:45] = True
    s.region(region, erase=True)
    assert not (masks(s)[7] & region).any() and (masks(s)[8] == final[8]).all()


def test_brush_adds_only_to_the_selected_object_or_starts_a_new_one():
    objs, car, p1, p2 = scene()
    s = ObjectSession(photo(), objs)
    before = masks(s)
    s.select(8)
    s.paint([stroke(60, 40, 85, 40, cls=2)])         # across the touching person 9
    after = masks(s)
    np.testing.assert_array_equal(after[9], before[9])
    np.testing.assert_array_equal(after[7], before[7])
    assert (after[8] & p2).any() and after[8].sum() > before[8].sum()
    # a stroke of another class starts a new object on top, which becomes selected
    s.paint([stroke(20, 5, 30, 5, cls=1)])
    new_id = s.selected
    assert new_id not in before and s.objects.get(new_id).cls == 1 and s.objects.position(new_id) == len(s.objects) - 1
    assert all((masks(s)[k] == after[k]).all() for k in after)
    # new object: the next stroke of the same class starts another one
    s.new_object()
    s.paint([stroke(20, 75, 30, 75, cls=1)])
    assert s.selected not in (new_id, *before)


def test_clicks_give_the_prompter_the_selected_objects_own_mask():
    objs, car, p1, p2 = scene()
    seen = []

    class Spy(GrabCutPrompter):
        def predict(self, points, box=None, mask_input=None, multimask=True, prior=None):
            seen.append(None if prior is None else prior.copy())
            return super().predict(points, box, mask_input, multimask, prior=prior)

    s = ObjectSession(photo(), objs, prompter=Spy())
    before = masks(s)
    s.select(8)
    s.click(60, 50, True, "person")
    np.testing.assert_array_equal(seen[0], p1)       # its own mask, not p1 | p2
    after = masks(s)
    np.testing.assert_array_equal(after[9], before[9])
    np.testing.assert_array_equal(after[7], before[7])
    s.click(45, 35, False)                            # the run goes on: same object
    assert [c[2] for c in s.markers] == [True, False] and s.run.obj == 8
    np.testing.assert_array_equal(masks(s)[9], before[9])
    s.undo()
    assert s.markers == [(60, 50, True)]
    # a Remove click with nothing selected acts on the top object under it: it takes the part of
    # the object around the click that the prompter does not keep (on this noise photo GrabCut
    # keeps none of it), within reach of the click: never the whole object
    s.select(None)
    p1_now = masks(s)[8]
    s.click(85, 60, False)
    assert s.run.obj == 9
    gone = p2 & ~masks(s)[9]
    yy, xx = np.mgrid[:80, :100]
    far = np.hypot(xx - 85, yy - 60) > reach(s.shape)
    assert gone.sum() > 100 and not (gone & far).any() and (masks(s)[9] == p2)[far].all()
    np.testing.assert_array_equal(masks(s)[8], p1_now)
    np.testing.assert_array_equal(masks(s)[7], before[7])
    s.undo()
    np.testing.assert_array_equal(masks(s)[9], p2)
    with pytest.raises(PromptError, match="no object here"):
        s.select(None)
        s.click(95, 5, False)


def test_a_click_on_several_objects_selects_the_top_visible_one():
    objs, *_ = scene()
    s = ObjectSession(photo(), objs)
    assert s.select_at(45, 40) == 8
    s.set_hidden(8)
    assert s.select_at(45, 40) == 7                   # a hidden object is not picked
    assert s.shown_labels[40, 45] == 1 and s.labels[40, 45] == 2
    assert s.select_at(2, 2) is None


def test_locks_and_the_overwrite_rule_hold_per_object_and_per_class():
    objs, car, p1, p2 = scene()
    s = ObjectSession(photo(), objs)
    s.set_locked(9)
    with pytest.raises(PromptError, match="object 9 .* is locked"):
        s.paint([stroke(75, 40, 80, 40, cls=2)], obj=9)
    s.select(8)
    s.paint([stroke(60, 40, 85, 40, cls=2)])           # may not paint over locked 9
    assert not (masks(s)[8] & p2).any()
    s.paint([stroke(60, 40, 85, 40, cls=2)], overwrite="any")
    assert (masks(s)[8] & p2).any() and (masks(s)[9] == p2).all()   # still nothing taken from 9
    # a locked class: its objects are protected and cannot be targets
    s2 = ObjectSession(photo(), objs, rule=ApplyRule(locked={1}))
    s2.select(8)
    s2.paint([stroke(15, 20, 50, 20, cls=2)])
    assert not (masks(s2)[8] & car & ~p1).any()
    with pytest.raises(PromptError, match="locked"):
        s2.delete(7)
    # unlabelled: only where no other object lies
    s3 = ObjectSession(photo(), objs, rule=ApplyRule("unlabelled"))
    s3.new_object()
    s3.paint([stroke(5, 20, 95, 20, cls=1)])
    new = masks(s3)[s3.selected]
    assert not (new & (car | p1 | p2)).any() and new.any()


def test_object_actions_are_undoable_steps_and_keep_ids():
    objs, car, p1, p2 = scene()
    s = ObjectSession(photo(), objs)
    s.set_class(9, "car")
    assert s.objects.get(9).cls == 1 and s.objects.get(9).mask is objs.get(9).mask
    assert s.reorder(7, "forward") and s.objects.ids_list() == [8, 7, 9]
    assert not s.reorder(9, "forward")                # nothing above it overlaps: no step
    s.delete(8)
    assert s.objects.ids_list() == [7, 9] and (s.labels[p1 & ~car] == 0).all()
    s.undo()
    assert s.objects.ids_list() == [8, 7, 9]
    s.undo()
    s.undo()
    assert s.objects.get(9).cls == 2 and s.objects.ids_list() == [7, 8, 9]
    s.redo()
    assert s.objects.get(9).cls == 1
    with pytest.raises(PromptError):
        s.reorder(7, "up")
    with pytest.raises(PromptError, match="no object 42"):
        s.set_class(42, "car")
    # selecting is not a step: Ctrl+Z after selections undoes the last edit (the class change)
    n = len(s.history._past)
    s.select_next()
    s.select_next()
    s.select_next()
    assert len(s.history._past) == n and s.selected is not None
    s.undo()
    assert s.objects.get(9).cls == 2
    # select and delete two objects, then two undos bring both back (a selection took one)
    s.select(7)
    s.delete(7)
    s.select(8)
    s.delete(8)
    s.undo()
    s.undo()
    assert s.objects.ids_list() == [7, 8, 9]


def test_add_objects_many_at_once_with_scores_one_step():
    objs, car, p1, p2 = scene()
    s = ObjectSession(photo(), objs)
    a = np.zeros(s.shape, bool)
    a[0:5, 0:5] = True
    b = np.zeros(s.shape, bool)
    b[75:80, 90:100] = True
    n = len(s.history)
    ids = s.add_objects([("car", a, 0.9), (2, b, 0.4), (1, np.zeros(s.shape, bool), 0.1)])
    assert len(ids) == 2 and len(s.history) == n + 1
    assert [r.score for r in s.object_rows()[:2]] == [0.4, 0.9]
    assert all(r.id not in (7, 8, 9) for r in s.object_rows()[:2])
    s.undo()
    assert len(s.objects) == 3


def test_wand_stays_within_the_clicked_object_and_refuses_a_bad_tolerance():
    objs, car, p1, p2 = scene()
    rgb = np.full((80, 100, 3), 100, np.uint8)
    s = ObjectSession(rgb, objs)
    s.new_object()
    s.wand(20, 20, 10, "person")                      # inside the car (top there): the car's region
    new = masks(s)[s.selected]
    np.testing.assert_array_equal(new, car & ~p1)
    for bad in (9999, -1, "x", True):
        with pytest.raises(PromptError, match="0 to 255"):
            s.wand(20, 20, bad, "person")


def test_background_paint_erases_where_the_format_keeps_no_background_objects():
    objs, car, p1, p2 = scene()
    s = ObjectSession(photo(), objs)
    s.paint([stroke(15, 20, 30, 20, cls=0)])
    assert len(s.objects) == 3 and not (masks(s)[7][18:23, 15:31]).all()
    with pytest.raises(PromptError, match="background is no object"):
        s.new_object()
        s.click(20, 20, True, "background")


def test_history_packs_masks_no_longer_current_and_stays_small():
    h, w = 1200, 1600
    big = np.zeros((h, w), bool)
    big[100:1100, 100:1500] = True
    objs = Objects((h, w), LS, [Obj(1, 1, ObjMask.from_full(big))])
    s = ObjectSession(np.zeros((h, w, 3), np.uint8), objs)
    s.select(1)
    for k in range(30):
        s.paint([stroke(200 + 30 * k, 50, 200 + 30 * k, 1150, r=5, erase=True)])
    packed = [o.mask for st in s.history._past for o in st.objects if o.mask is not s.objects.get(1).mask]
    assert packed and all(m.packed for m in packed)
    held = sum(len(m._packed or b"") for m in packed)
    assert held < 30 * big.size // 200              # a few kB a step, not 1.9 MB
    for _ in range(30):
        s.undo()
    np.testing.assert_array_equal(s.objects.get(1).mask.full((h, w)), big)


def test_renumber_changes_ids_in_every_step():
    objs, *_ = scene()
    s = ObjectSession(photo(), objs)
    s.new_object()
    s.paint([stroke(2, 2, 8, 2, cls=1)])
    new = s.selected
    s.set_hidden(7)
    s.renumber({new: 500})
    assert s.selected == 500 and 500 in s.objects.ids_list()
    s.undo()
    assert 500 in s.objects.ids_list() and new not in s.objects.ids_list()


def test_an_add_click_on_an_object_of_its_class_refines_it_unless_a_new_object_is_asked():
    objs, car, p1, p2 = scene()
    seen = []

    class Spy(GrabCutPrompter):
        def predict(self, points, box=None, mask_input=None, multimask=True, prior=None):
            seen.append(None if prior is None else prior.copy())
            return super().predict(points, box, mask_input, multimask, prior=prior)

    s = ObjectSession(painted(car, p1, p2), objs, prompter=Spy())
    s.click(80, 50, True, "person")                  # on person 9, nothing selected
    assert s.selected == 9 and s.run.obj == 9 and len(s.objects) == 3
    np.testing.assert_array_equal(seen[-1], p2)       # its own mask, not the touching person 8's too
    s.click(85, 72, True, "person")                   # the run goes on: still person 9
    assert s.run.obj == 9 and len(s.objects) == 3
    s.new_object()
    assert s.new_pending and s.selected is None
    s.click(80, 50, True, "person")                   # now a new object, even on person 9
    assert s.selected not in (7, 8, 9) and len(s.objects) == 4 and seen[-1] is None
    assert not s.new_pending
    s.select(None)
    car_before = s.objects.get(7)
    s.click(30, 20, True, "person")                   # on the car: not of its class, a new person
    assert s.run.obj not in (7, 8, 9) and s.objects.get(7) is car_before


def test_pictures_of_a_change_redrawn_in_its_box_equal_those_drawn_whole(shared_data):
    """The class map, the top-object map and the overlap count of a changed copy are redrawn
    only inside the changed box (from the previous copy's): on coco-24's overlapping objects,
    after removing, adding (on top and below others), replacing, hiding and moving objects, each
    equals the picture drawn whole."""
    from segcore import open_dataset

    ds = open_dataset(shared_data / "coco-24" / "annotations.json")
    checked = 0
    for i in range(len(ds)):
        objs = ds.read_objects(i)
        if objs.overlap_count() == 0:
            continue
        objs.class_map(), objs.top_map()
        top = max(objs.items, key=lambda o: int(objs.overlap()[o.mask.slices][o.mask.crop].sum()))
        full = top.mask.full(objs.shape)
        moved = ObjMask.from_full(np.pad(full, ((0, 0), (4, 0)))[:, :-4])          # 4 pixels right
        steps = [objs.remove(top.id)]
        assert steps[0].derived_from(objs)
        steps.append(steps[-1].add(Obj(top.id, top.cls, moved)))
        steps.append(steps[-1].replace_obj(Obj(top.id, top.cls, moved, hidden=True)))
        steps.append(steps[-1].replace_obj(Obj(top.id, top.cls, ObjMask.from_full(full))))
        steps.append(steps[-1].move(top.id, 0))                                   # to the bottom
        steps.append(steps[-1].add(Obj(objs.new_id(), top.cls, moved), position=1))
        for step in steps:
            fresh = Objects(step.shape, step.label_set, step.items, step.base)
            assert step.overlap_count() == fresh.overlap_count() == int(fresh.overlap().sum())
            np.testing.assert_array_equal(step.class_map(), fresh.class_map())
            np.testing.assert_array_equal(step.top_map(), fresh.top_map())
            np.testing.assert_array_equal(step.class_map(visible_only=True), fresh.class_map(visible_only=True))
        checked += 1
    assert checked >= 10
