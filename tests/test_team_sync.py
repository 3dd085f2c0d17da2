"""Many hands on one dataset, in Python: two workspaces (each with its own Dataset object, as
two servers would have) on one item of camvid-20 (a VOC root) and coco-24. No save is lost:
different pixels merge, the same pixels changed differently are a conflict with both versions
kept and either one chosen exactly; another program's write is noticed; undo never takes back
another session's work; COCO's one file takes both sessions' items."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from segcore.dataset import Workspace, open_dataset
from segcore.dataset.merge import merge_labels
from segcore.errors import AccessError, ConflictError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camvid import camvid_voc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def camvid(shared_data, tmp_path):
    """A VOC root of camvid-20 with the first three items labelled (ground truth)."""
    root = camvid_voc(shared_data / "camvid-20", tmp_path / "camvid")
    ds = open_dataset(root)
    for i in range(3):
        from camvid import truth_of

        ds.write_labels(i, truth_of(root, ds.names[i]), status="edited", tool="ground truth")
    return root


@pytest.fixture
def coco(shared_data, tmp_path):
    shutil.copytree(shared_data / "coco-24", tmp_path / "coco")
    return tmp_path / "coco" / "annotations.json"


def paint(ws: Workspace, box, cls: int, tool="brush") -> np.ndarray:
    """One undoable step giving the box ``(x0, y0, x1, y1)`` class ``cls``; saved in the background."""
    x0, y0, x1, y1 = box
    lab = ws.session.labels.copy()
    lab[y0:y1, x0:x1] = cls
    ws.session.push(lab)
    ws.changed(tool=tool)
    return lab


def on_disk(path, i):
    return open_dataset(path).read_labels(i)


def test_merge_labels_per_pixel():
    base = np.zeros((4, 6), np.uint8)
    mine, theirs = base.copy(), base.copy()
    mine[0, :3] = 1
    theirs[3, 3:] = 2
    m = merge_labels(base, mine, theirs)
    assert m.clash is None and (m.labels[0, :3] == 1).all() and (m.labels[3, 3:] == 2).all()
    theirs[0, 0] = 1                               # the same change on both sides: no clash
    theirs[0, 1] = 2                               # a different one: a clash of one pixel
    m = merge_labels(base, mine, theirs)
    assert m.clashing == 1 and m.clash[0, 1]
    assert merge_labels(base, mine, theirs, prefer="mine").labels[0, 1] == 1
    assert merge_labels(base, mine, theirs, prefer="theirs").labels[0, 1] == 2


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_sessions_paint_different_regions_both_land(camvid, first):
    a = Workspace(open_dataset(camvid), user="alice")
    b = Workspace(open_dataset(camvid), user="bob")
    a.open(1), b.open(1)
    truth = a.session.labels.copy()
    order = [(a, (10, 10, 60, 40), 8), (b, (300, 200, 380, 260), 6)]
    for ws, box, cls in order if first == "a" else order[::-1]:
        paint(ws, box, cls)
        ws.save()
    disk = on_disk(camvid, 1)
    assert (disk[10:40, 10:60] == 8).all() and (disk[200:260, 300:380] == 6).all()
    outside = np.ones(disk.shape, bool)
    outside[10:40, 10:60] = outside[200:260, 300:380] = False
    assert (disk[outside] == truth[outside]).all()
    # The session that saved first learns of the other's edit at its next action; its undo
    # then takes back only its own stroke.
    early = a if first == "a" else b
    early.sync()
    assert any("came in" in n for n in early.notes)
    np.testing.assert_array_equal(early.session.labels, disk)
    early.session.undo()
    early.changed(tool="undo")
    early.save()
    disk = on_disk(camvid, 1)
    mine_box, their_box = ((10, 40, 10, 60), (200, 260, 300, 380))[::1 if first == "a" else -1]
    y0, y1, x0, x1 = mine_box
    np.testing.assert_array_equal(disk[y0:y1, x0:x1], truth[y0:y1, x0:x1])
    y0, y1, x0, x1 = their_box
    assert (disk[y0:y1, x0:x1] != truth[y0:y1, x0:x1]).any()      # the other's edit stays


@pytest.mark.parametrize("prefer", ["mine", "theirs"])
def test_same_pixels_conflict_keeps_both_and_either_is_exact(camvid, prefer):
    a = Workspace(open_dataset(camvid), user="alice")
    b = Workspace(open_dataset(camvid), user="bob")
    a.open(2), b.open(2)
    theirs = paint(a, (100, 100, 200, 180), 8)
    a.save()
    mine = paint(b, (100, 100, 200, 180), 9)
    with pytest.raises(ConflictError) as e:
        b.save()
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(a.name) and "alice" in msg
    assert e.value.pixels == 100 * 80 and e.value.item == a.name and e.value.box == (100, 100, 200, 180)
    np.testing.assert_array_equal(on_disk(camvid, 2), theirs)                 # nothing overwritten
    kept = open_dataset(camvid)
    versions = kept.item_versions(2)
    conflict = [v for v in versions if v.kind == "conflict"]
    assert conflict and conflict[-1].user == "bob" and conflict[-1].number == e.value.version
    np.testing.assert_array_equal(kept.read_version(2, conflict[-1].number), mine)   # mine is on disk too
    # Moving on is refused until it is settled; then either version lands exactly.
    with pytest.raises(ConflictError):
        b.step(1)
    b.resolve(prefer)
    want = mine if prefer == "mine" else theirs
    np.testing.assert_array_equal(on_disk(camvid, 2), want)
    np.testing.assert_array_equal(b.session.labels, want)
    assert b.conflict is None
    a.sync()                                 # the other session learns of it
    np.testing.assert_array_equal(a.session.labels, want)
    paint(a, (0, 0, 5, 5), 3)                 # a save after the conflict: no version of another program
    a.save()
    kinds = [v.kind for v in open_dataset(camvid).item_versions(2)]
    assert "external" not in kinds and kinds.count("conflict") == 1
    last = [v for v in open_dataset(camvid).item_versions(2) if v.user == "bob"][-1]
    if prefer == "mine":
        assert (last.user, last.tool, last.kind) == ("bob", "keep mine", "saved")
    else:                                    # theirs is on disk already: nothing to write
        assert (last.user, last.kind) == ("bob", "conflict")


def test_settling_a_partial_clash_keeps_every_other_change(camvid):
    """Keep mine / take theirs decide the clashing pixels; what only one side changed stays."""
    a = Workspace(open_dataset(camvid), user="alice")
    b = Workspace(open_dataset(camvid), user="bob")
    a.open(2), b.open(2)
    paint(a, (100, 100, 200, 180), 8)
    a.save()
    paint(b, (150, 120, 260, 200), 9)
    with pytest.raises(ConflictError) as e:
        b.save()
    assert e.value.pixels == 50 * 60
    b.resolve("mine")
    disk = on_disk(camvid, 2)
    assert (disk[120:200, 150:260] == 9).all()                    # mine, clash included
    assert (disk[100:120, 100:200] == 8).all() and (disk[100:180, 100:150] == 8).all()   # theirs elsewhere
    np.testing.assert_array_equal(b.session.labels, disk)


def test_a_script_rewrites_the_label_file_while_open(camvid):
    from PIL import Image

    a = Workspace(open_dataset(camvid), user="alice")
    a.open(0)
    path = camvid / "SegmentationClass" / f"{a.name}.png"
    # The script paints rows 0-9 sky (0) on the file directly.
    im = Image.open(path)
    arr = np.asarray(im).copy()
    arr[:10] = 0
    out = Image.fromarray(arr, mode="P")
    out.putpalette(im.getpalette())
    out.save(path)
    a.sync()
    assert a.notes and "another program" in a.notes[-1]
    assert (a.session.labels[:10] == 0).all()
    # An edit over the script's pixels made before it was seen clashes; both are kept.
    arr[20:30] = 3
    out = Image.fromarray(arr, mode="P")
    out.putpalette(im.getpalette())
    paint(a, (0, 20, 480, 30), 5)
    a._saver.flush()
    out.save(path)
    paint(a, (0, 25, 480, 35), 6)
    with pytest.raises(ConflictError) as e:
        a.save()
    assert "another program" in str(e.value)
    kinds = [v.kind for v in open_dataset(camvid).item_versions(0)]
    assert "external" in kinds and kinds[-1] == "conflict"
    a.resolve("theirs")
    assert (on_disk(camvid, 0)[20:30] == 3).all()


def test_coco_two_sessions_two_items_of_one_file(coco):
    a = Workspace(open_dataset(coco), user="alice")
    b = Workspace(open_dataset(coco), user="bob")
    a.open(0), b.open(5)
    before = json.loads(coco.read_text())
    ids_before = {x["id"] for x in before["annotations"]}
    paint(a, (5, 5, 40, 30), 1)
    paint(b, (5, 5, 40, 30), 2)
    a.save(), b.save()
    ds = open_dataset(coco)
    assert (ds.read_labels(0)[5:30, 5:40] == 1).all() and (ds.read_labels(5)[5:30, 5:40] == 2).all()
    after = json.loads(coco.read_text())
    untouched = [x for x in before["annotations"] if x["image_id"] not in
                 (before["images"][0]["id"], before["images"][5]["id"])]
    assert all(x in after["annotations"] for x in untouched)          # other items: as they were
    assert ids_before - {x["id"] for x in after["annotations"]} <= {
        x["id"] for x in before["annotations"] if x["image_id"] in (before["images"][0]["id"], before["images"][5]["id"])}
    # The same item, different regions: both land; overlapping instances elsewhere stay.
    b.open(0)
    paint(a, (100, 100, 140, 130), 3)
    paint(b, (200, 150, 240, 190), 4)
    a.save(), b.save()
    disk = on_disk(coco, 0)
    assert (disk[100:130, 100:140] == 3).all() and (disk[150:190, 200:240] == 4).all()
    assert (disk[5:30, 5:40] == 1).all()


def test_two_processes_save_one_coco_file(coco, tmp_path):
    """Real processes: each saves its own items ten times; every save lands."""
    script = tmp_path / "saver.py"
    script.write_text(textwrap.dedent("""
        import sys
        import numpy as np
        from segcore.dataset import Workspace, open_dataset
        path, first, cls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        ws = Workspace(open_dataset(path), user=f"proc{first}")
        for round in range(10):
            ws.open(first + 2 * (round % 4))
            lab = ws.session.labels.copy()
            lab[2 * round:2 * round + 2, :50] = cls
            ws.session.push(lab)
            ws.changed(tool="brush")
            ws.save()
    """))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, str(script), str(coco), str(k), str(k + 1)], env=env,
                              stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    ds = open_dataset(coco)
    for k in (0, 1):
        for round in range(10):
            item = k + 2 * (round % 4)
            assert (ds.read_labels(item)[2 * round:2 * round + 2, :50] == k + 1).all(), (k, round)


def test_history_records_who_and_restores_two_saves_ago(camvid):
    a = Workspace(open_dataset(camvid), user="alice")
    a.open(1)
    states = [a.session.labels.copy()]
    for k, cls in enumerate((8, 6, 9)):
        states.append(paint(a, (20 * k, 10, 20 * k + 60, 80), cls, tool=("brush", "wand", "polygon")[k]))
        a.save()
    versions = a.ds.item_versions(1)
    assert [v.tool for v in versions[-3:]] == ["brush", "wand", "polygon"]
    assert all(v.user == "alice" and v.kind == "saved" and v.pixels > 0 for v in versions[-3:])
    two_ago = versions[-3]
    np.testing.assert_array_equal(a.ds.read_version(1, two_ago.number), states[1])
    a.restore(two_ago.number)
    a.save()
    np.testing.assert_array_equal(on_disk(camvid, 1), states[1])
    assert a.ds.item_versions(1)[-1].tool == f"restore {two_ago.number}"
    a.session.undo()                               # the restore is one undoable step
    a.save()
    np.testing.assert_array_equal(on_disk(camvid, 1), states[3])


def test_history_budget_keeps_first_and_newest(camvid):
    from segcore.dataset import revisions

    a = Workspace(open_dataset(camvid))
    a.open(0)
    first = a.ds.item_versions(0)[0]
    for k in range(12):
        paint(a, (k * 30, 0, k * 30 + 30, 360), k % 11)
        a.save()
    size = sum(v.bytes for v in a.ds.item_versions(0))
    revisions.set_budget_mb(camvid, size / 2 / 1e6)
    vs = a.ds.item_versions(0)
    assert len(vs) < 13 and vs[0].number == first.number
    assert [v.number for v in vs[-revisions.KEEP_NEWEST:]] == list(range(vs[-1].number - revisions.KEEP_NEWEST + 1,
                                                                          vs[-1].number + 1))
    assert sum(v.bytes for v in vs) <= size / 2 and revisions.budget_mb(camvid) == size / 2 / 1e6


def test_roles_annotator_cannot_review_and_sends_reviewed_back(camvid):
    rev = Workspace(open_dataset(camvid), user="rita", reviewer=True)
    ann = Workspace(open_dataset(camvid), user="anna", reviewer=False)
    ann.open(1)
    with pytest.raises(AccessError, match="only a reviewer"):
        ann.mark_reviewed()
    rev.open(1)
    assert rev.mark_reviewed() == "reviewed"
    paint(rev, (0, 0, 10, 10), 8)                 # a reviewer's correction keeps it reviewed
    rev.save()
    assert open_dataset(camvid).status(1) == "reviewed"
    ann.sync()
    paint(ann, (20, 20, 30, 30), 8)               # an annotator's sends it back to review
    ann.save()
    assert open_dataset(camvid).status(1) == "edited"


def test_presence_across_sessions(tmp_path):
    from segcore.dataset.presence import Presence

    a, b = Presence(tmp_path, "alice"), Presence(tmp_path, "bob")
    a.here("img1")
    b.here("img2")
    assert b.others(max_age=0) == {"img1": ["alice"]} and a.others(max_age=0) == {"img2": ["bob"]}
    a.leave()
    assert b.others(max_age=0) == {}
    rec = tmp_path / ".segcore" / "presence" / f"{b.session}.json"
    data = json.loads(rec.read_text())
    data["time"] -= 3600                           # a server killed an hour ago
    rec.write_text(json.dumps(data))
    assert a.others(max_age=0) == {}


def test_coco_objects_merge_per_object_and_clash_per_object(coco):
    """Object by object: different objects merge; one object's pixels changed in different
    places by both merge; its class changed differently by both is a conflict naming it."""
    a = Workspace(open_dataset(coco), user="alice")
    b = Workspace(open_dataset(coco), user="bob")
    a.open(3), b.open(3)
    objs = sorted(a.session.objects, key=lambda o: -o.area)
    big, other = objs[0], objs[1]
    x0, y0, x1, y1 = big.box
    a.session.set_class(other.id, 5)
    a.changed(tool="class")
    a.save()
    # bob takes two pixel-rows off the top of the big object, alice (after) two off its bottom
    top = np.zeros(b.session.shape, bool)
    top[y0:y0 + 2, x0:x1] = True
    bottom = np.zeros(b.session.shape, bool)
    bottom[y1 - 2:y1, x0:x1] = True
    b.session.region(top & big.mask.full(b.session.shape), obj=big.id, erase=True)
    b.changed(tool="eraser")
    b.save()
    a.session.region(bottom & big.mask.full(a.session.shape), obj=big.id, erase=True)
    a.changed(tool="eraser")
    a.save()
    disk = open_dataset(coco).read_objects(3)
    got = disk.find(big.id)
    full = got.mask.full(disk.shape)
    assert not (full & top).any() and not (full & bottom).any()
    assert got.area == big.area - int((big.mask.full(disk.shape) & (top | bottom)).sum())
    assert disk.find(other.id).cls == 5 and len(disk) == len(objs)
    # both change the same object's class differently: a conflict that names the object
    b.sync()
    a.session.set_class(big.id, 7)
    a.changed(tool="class")
    a.save()
    b.session.set_class(big.id, 9)
    b.changed(tool="class")
    with pytest.raises(ConflictError) as e:
        b.save()
    assert big.id in e.value.objects and f"object {big.id}" in str(e.value) and "alice" in str(e.value)
    b.resolve("theirs")
    assert open_dataset(coco).read_objects(3).find(big.id).cls == 7
    assert b.session.objects.find(big.id).cls == 7


def test_coco_same_pixels_two_new_objects_clash(coco):
    """Two sessions paint one region with different classes: two new overlapping objects would
    hide one another; the class maps clash, so it is a conflict, settled exactly."""
    a = Workspace(open_dataset(coco), user="alice")
    b = Workspace(open_dataset(coco), user="bob")
    a.open(7), b.open(7)
    theirs = paint(a, (20, 20, 80, 60), 4)
    a.save()
    mine = paint(b, (20, 20, 80, 60), 6)
    with pytest.raises(ConflictError, match="same pixels"):
        b.save()
    b.resolve("mine")
    np.testing.assert_array_equal(on_disk(coco, 7), mine)
    a.sync()
    np.testing.assert_array_equal(a.session.labels, mine)
    assert (theirs[20:60, 20:80] == 4).all()


@pytest.mark.parametrize("fmt", ["coco", "labelme"])
def test_an_undone_delete_comes_back_where_it_was_drawn(fmt, shared_data, tmp_path):
    """Delete the bottom object, save, undo, save: the file draws it at the bottom again, as the
    session does (it came back on top of the others, covering them: a new-user run)."""
    if fmt == "coco":
        shutil.copytree(shared_data / "coco-24", tmp_path / "coco")
        path, i = tmp_path / "coco" / "annotations.json", None
    else:
        shutil.copytree(shared_data / "labelme-voc" / "data_annotated", tmp_path / "lm")
        shutil.copy(shared_data / "labelme-voc" / "labels.txt", tmp_path / "lm" / "labels.txt")
        path, i = tmp_path / "lm", "2011_000003"
    ds = open_dataset(path)
    i = 0 if i is None else ds.index_of(i)
    if fmt == "coco":       # an item whose bottom object lies under another
        i = next(k for k in range(len(ds)) if _bottom_is_covered(ds.read_objects(k)))
    ws = Workspace(ds)
    ws.open(i)
    before = ws.session.objects
    bottom = before.items[0]
    assert _bottom_is_covered(before)
    ws.session.delete(bottom.id)
    ws.changed(tool="delete")
    ws.save()
    ws.session.undo()
    ws.changed(tool="undo")
    ws.save()
    assert ws.session.objects.ids_list() == before.ids_list()
    disk = open_dataset(path).read_objects(i)
    assert disk.ids_list() == before.ids_list()
    np.testing.assert_array_equal(disk.class_map(), before.class_map())
    ws.close()


def _bottom_is_covered(objects) -> bool:
    b = objects.items[0]
    return len(objects) > 1 and any(o.mask.overlaps(b.mask) for o in objects.items[1:])
