"""Find all (SAM 3, tiny random configuration): every instance transformers finds for a class's
prompt, added as objects with their scores (or painted on a class map under the overwrite
rule), in one undoable step."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import textured_image

pytest.importorskip("transformers")
pytest.importorskip("open_clip")

from sam3_tiny import save_tiny  # noqa: E402
from test_sam3 import reference  # noqa: E402

THRESHOLD = 0.25


@pytest.fixture(scope="module")
def concepts(tmp_path_factory):
    from segcore.models import CONCEPTS, load

    return load("sam3", CONCEPTS, weights=save_tiny(tmp_path_factory.mktemp("sam3") / "tiny", num_queries=8))


def test_find_all_adds_each_instance_as_an_object_with_its_score(concepts):
    from segcore.edit import ObjectSession
    from segcore.edit.find_all import find_all
    from segcore.labels import LabelSet
    from segcore.objects import Obj, ObjMask, Objects

    rgb = textured_image(80, 100, seed=4)
    ls = LabelSet(("background", "car", "person"))
    mine = np.zeros((80, 100), bool)
    mine[5:20, 5:30] = True
    start = Objects((80, 100), ls).add(Obj(1, 2, ObjMask.from_full(mine)))
    s = ObjectSession(rgb, start)
    ref = reference(concepts.model, rgb, "vehicle", THRESHOLD)
    want = sorted(((m.numpy().astype(bool), sc) for m, sc in zip(ref["masks"], ref["scores"].tolist()) if m.any()),
                  key=lambda w: w[1])
    assert 2 <= len(want) < 8
    done = find_all(s, concepts, "car", "vehicle", THRESHOLD, key="photo 4")
    assert done.found == len(want) and len(done.ids) == len(want) and done.scores == tuple(w for _, w in want[::-1])
    added = [s.objects.get(i) for i in done.ids]
    for obj, (mask, score) in zip(added, want):          # in score order, the surest on top
        assert obj.cls == 1 and obj.score == score and obj.mask.same(ObjMask.from_full(mask))
    assert [o.id for o in s.objects][-len(want):] == list(done.ids)
    assert s.objects.get(1).mask.same(start.get(1).mask)      # nobody's pixels taken
    s.undo()                                                     # one step takes them all back
    assert [o.id for o in s.objects] == [1]


def test_find_all_on_a_class_map_follows_the_overwrite_rule(concepts):
    from segcore.edit import ApplyRule, EditSession
    from segcore.edit.find_all import find_all
    from segcore.errors import PromptError
    from segcore.labels import LabelSet
    from segcore.segmentation import Segmentation

    rgb = textured_image(60, 90, seed=2)
    ls = LabelSet(("sky", "road", "car"))
    labels = np.full((60, 90), 255, np.uint8)
    labels[:20] = 0                                    # sky, class 0: a class like any other
    s = EditSession(rgb, Segmentation(labels, ls))
    ref = reference(concepts.model, rgb, "car", THRESHOLD)
    union = np.zeros((60, 90), bool)
    for m in ref["masks"]:
        union |= m.numpy().astype(bool)
    assert union[:20].any() and union[20:].any() and not union.all()
    done = find_all(s, concepts, 2, None, THRESHOLD, overwrite="unlabelled", key="photo 2")
    assert done.text == "car" and done.ids == () and done.found == len(ref["scores"])
    want = labels.copy()
    want[union & (labels == 255)] = 2
    assert (s.labels == want).all() and done.changed == int((want != labels).sum())
    s.undo()
    assert (s.labels == labels).all()
    find_all(s, concepts, 2, "car", THRESHOLD, overwrite="any", key="photo 2")
    assert (s.labels[union] == 2).all()

    locked = EditSession(rgb, Segmentation(labels, ls), rule=ApplyRule(locked=frozenset({2})))
    with pytest.raises(PromptError, match="locked"):
        find_all(locked, concepts, 2, None, THRESHOLD)
    for bad in (1.5, "lots"):
        with pytest.raises(PromptError, match="between 0 and 1"):
            find_all(s, concepts, 2, None, bad)
