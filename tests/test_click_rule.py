"""A run of clicks refines the object under the clicks, whatever the prompter answers: a positive
click never takes a labelled pixel, a negative one takes only near itself (segcore.edit.click_rule),
in the class-map session and the object session alike."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segcore.edit import EditSession, ObjectSession
from segcore.edit.click_rule import reach, run_result
from segcore.image import load
from segcore.labels import LabelSet
from segcore.models.prompters.base import Prompter, PromptResult
from segcore.models.prompters.grabcut import GrabCutPrompter
from segcore.objects import Obj, ObjMask, Objects
from segcore.segmentation import Segmentation

LS = LabelSet(("background", "person"))
H, W = 120, 160


class Weak(Prompter):
    """A prompter that answers poorly: a small disc around each positive point, nothing else
    (no prior, no previous answer): the object it is asked about is mostly left out."""

    name = "weak"

    def _set_image(self, rgb):
        pass

    def _predict(self, points, box, mask_input, multimask, prior):
        out = np.zeros(self._rgb.shape[:2], np.uint8)
        for x, y, positive in points:
            if positive:
                cv2.circle(out, (x, y), 5, 1, -1)
        return PromptResult(out.astype(bool))


def scene():
    """A labelled person (a tall block), a spill labelled with it (a strip beside it, connected),
    and a missed arm apart from it (not labelled)."""
    person = np.zeros((H, W), bool)
    person[15:110, 50:90] = True
    spill = np.zeros((H, W), bool)
    spill[50:70, 90:104] = True
    arm = np.zeros((H, W), bool)
    arm[30:42, 14:34] = True
    rgb = (np.random.default_rng(0).random((H, W, 3)) * 255).astype(np.uint8)
    return rgb, person, spill, arm


def far_from(points, shape=(H, W)) -> np.ndarray:
    near = np.zeros(shape, np.uint8)
    for x, y, *_ in points:
        cv2.circle(near, (int(x), int(y)), reach(shape), 1, -1)
    return ~near.astype(bool)


def open_session(kind, rgb, start, prompter):
    if kind == "class map":
        return EditSession(rgb, Segmentation(start.astype(np.uint8), LS), prompter=prompter)
    s = ObjectSession(rgb, Objects(start.shape, LS, [Obj(1, 1, ObjMask.from_full(start))]), prompter=prompter)
    s.select(1)
    return s


REMOVE_SPILL, ADD_ARM = (97, 60, False), (24, 36, True)


@pytest.mark.parametrize("kind", ["class map", "objects"])
@pytest.mark.parametrize("clicks", [(REMOVE_SPILL, ADD_ARM), (ADD_ARM, REMOVE_SPILL)],
                         ids=["remove-then-add", "add-then-remove"])
def test_a_poor_answer_never_takes_the_object_away_from_the_clicks(kind, clicks):
    rgb, person, spill, arm = scene()
    start = person | spill
    s = open_session(kind, rgb, start, Weak())
    steps = []
    for x, y, positive in clicks:
        s.click(x, y, positive, "person")
        steps.append(s.labels == 1)
    now = steps[-1]
    assert [c[:2] for c in s.markers] == [c[:2] for c in clicks]        # one run
    # the person keeps every labelled pixel away from the Remove click: the answer (a disc at
    # the Add click) left out all of it, and that is no reason to take it
    far = far_from([REMOVE_SPILL])
    assert now[start & far].all()
    assert now[person].mean() > 0.9
    # the Remove click took the spill near it (the answer leaves it out), to background
    near_spill = spill & ~far
    assert not now[near_spill].any() and (s.labels[near_spill] == 0).all()
    # the Add click added what the answer holds, and took nothing
    assert now[36, 24] and now[arm].sum() >= 60
    k = [c[2] for c in clicks].index(True)
    before_add = steps[k - 1] if k else start
    assert not (before_add & ~steps[k]).any()
    # undo of the last click brings back the step before it, markers and all
    s.undo()
    np.testing.assert_array_equal(s.labels == 1, steps[0])
    assert len(s.markers) == 1


def test_the_rule_alone():
    yy, xx = np.mgrid[:H, :W]
    before = (xx >= 40) & (xx < 120) & (yy >= 20) & (yy < 100)
    nothing = np.zeros_like(before)
    remove = (60, 60, False)
    after = run_result(before, before, nothing, remove, np.ones_like(before))
    gone = before & ~after
    assert gone.any() and not (gone & far_from([remove])).any()
    # a positive click with an answer that holds only its own disc takes nothing, not even what
    # an earlier Remove click's answer kept
    disc = np.hypot(xx - 10, yy - 10) <= 5
    again = run_result(before, after, disc, (10, 10, True), np.ones_like(before))
    np.testing.assert_array_equal(again, after | disc)
    # a Remove click adds nothing the answer holds beyond the object as it is
    wider = run_result(before, after, before | disc, (60, 60, False), np.ones_like(before))
    assert not (wider & ~after).any()
    # what the answer covers again comes back (a changed mind: Remove, then Add on the spot)
    back = run_result(before, after, before, (60, 60, True), np.ones_like(before))
    np.testing.assert_array_equal(back, before)


def test_a_first_add_click_off_the_selected_object_grows_it_with_grabcut():
    rgb = np.full((H, W, 3), 40, np.uint8)
    rgb[20:100, 50:110] = (210, 190, 60)
    rgb = np.clip(rgb + np.random.default_rng(1).integers(-6, 7, rgb.shape), 0, 255).astype(np.uint8)
    truth = np.zeros((H, W), bool)
    truth[20:100, 50:110] = True
    half = truth.copy()
    half[60:] = False                                     # its lower half is missed
    for kind in ("class map", "objects"):
        s = open_session(kind, rgb, half, GrabCutPrompter())
        s.click(80, 70, True, "person")
        now = s.labels == 1
        assert now[half].all() and now[truth & ~half].mean() > 0.8, kind
        assert now[~truth].sum() < 0.05 * truth.sum(), kind


# -- a real photo, a real prompter ------------------------------------------------------------
def next_click(pred, truth):
    """The simulated user of the benchmarks: the centre of the largest error region."""
    best = None
    for err, positive in ((truth & ~pred, True), (pred & ~truth, False)):
        n, comp, stats, _ = cv2.connectedComponentsWithStats(err.astype(np.uint8), connectivity=8)
        if n <= 1:
            continue
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        if best is None or stats[k, cv2.CC_STAT_AREA] > best[0]:
            d = cv2.distanceTransform(np.pad((comp == k).astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
            y, x = np.unravel_index(int(np.argmax(d)), d.shape)
            best = (stats[k, cv2.CC_STAT_AREA], (int(x), int(y), positive))
    return None if best is None else best[1]


def person_photo(root, stem):
    rgb = load(root / "people-40" / "images" / f"{stem}.jpg")
    m = cv2.imread(str(root / "people-40" / "masks" / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
    return rgb, cv2.resize(m, rgb.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 127


@pytest.mark.parametrize("kind", ["class map", "objects"])
def test_corrective_clicks_on_a_people40_person_keep_the_person(shared_data, kind):
    """The mask of a person with its head missed and a blob spilled at its feet (how a pre-label
    goes wrong), and a simulated user's corrective clicks with GrabCut: the person is never
    erased (it was: 89% of it went at the second click), and the clicks make it better."""
    rgb, truth = person_photo(shared_data, "112")
    ys, xs = np.nonzero(truth)
    r = np.sqrt(truth.sum())
    top, bottom = int(np.argmin(ys)), int(np.argmax(ys))
    head, spill = np.zeros_like(truth, np.uint8), np.zeros_like(truth, np.uint8)
    cv2.circle(head, (int(xs[top]), int(ys[top])), int(0.35 * r), 1, -1)
    cv2.circle(spill, (int(xs[bottom]), int(ys[bottom])), int(0.25 * r), 1, -1)
    start = (truth & ~head.astype(bool)) | spill.astype(bool)
    s = open_session(kind, rgb, start, GrabCutPrompter())
    pred, negatives = start, []
    for _ in range(3):
        x, y, positive = next_click(pred, truth)
        s.click(x, y, positive, "person")
        negatives += [] if positive else [(x, y)]
        pred = s.labels == 1
        assert pred[start & truth].mean() > 0.9           # the person stays at every click

    def iou(m):
        return (m & truth).sum() / (m | truth).sum()
    assert not (start & ~pred & far_from(negatives, truth.shape)).any()
    assert iou(pred) > iou(start) + 0.02
