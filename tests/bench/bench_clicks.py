"""Clicks that converge, and that change nothing but the object: the click tool measured as
interactive-segmentation papers do, on the objects of real multi-class photos.

Run: python -m pytest -s tests/bench/bench_clicks.py

NoC: a simulated user clicks at the centre of the largest error region (positive where the
object is missed, negative where the mask spills), up to 20 clicks, starting from an empty
mask; every click goes through ``EditSession.click``, exactly what the app's Add / Remove
tools call. Reported: NoC@85 / NoC@90 (mean clicks to reach IoU 0.85 / 0.90, 20 when never)
and the mean IoU after 1, 3 and 5 clicks. The user stops at 0.90 once 5 clicks are made (IoU
after that is carried forward), as NoC protocols do. Void pixels are left out of IoU.
Objects: the person of each people-40 photo; every object of coco-24 (its instances of at
least 400 pixels, drawn over each other as the file's order); every class of labelme-voc.
For a "person" object the selfie prompter takes part where ../shared/models has its file.

Locality: on correctly labelled camvid-20 and coco-24 photos, one Add click at the inside
of an object, a box around it and a wand click in it; pixels changed outside the object's
bounding box grown by 10% a side (the number the edits issue checks: it must be 0), and the
server time of each (median; GrabCut's whole-photo re-cut of before measured in the same run
as the baseline).
"""

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench_cutout import next_click, people
from conftest import grown_box
from segcore.edit import EditSession
from segcore.image import load
from segcore.labels import LabelSet
from segcore.models.grabcut import grabcut
from segcore.models.prompters.selfie import SelfiePrompter
from segcore.prompts import click_seeds
from segcore.segmentation import Segmentation

MAX_CLICKS = 20
MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"
CAMVID = ("sky building pole road pavement tree sign fence car pedestrian bicyclist").split()


def voc_objects(root: Path):
    voc = root / "labelme-voc" / "data_dataset_voc"
    for png in sorted((voc / "SegmentationClass").glob("*.png")):
        rgb = load(voc / "JPEGImages" / f"{png.stem}.jpg")
        labels = np.asarray(Image.open(png))
        for k in np.unique(labels):
            if k not in (0, 255):
                yield f"{png.stem}/{LabelSet.voc().names[k]}", rgb, labels == k, labels != 255, LabelSet.voc().names[k]


def coco_items(root: Path):
    """``(stem, rgb, [(category name, instance mask), ...])`` of coco-24, in the file's order."""
    from pycocotools.coco import COCO

    folder = root / "coco-24"
    coco = COCO(str(folder / "annotations.json"))
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    for img_id in sorted(coco.getImgIds()):
        info = coco.loadImgs(img_id)[0]
        rgb = load(folder / "images" / info["file_name"])
        objs = [(names[a["category_id"]], coco.annToMask(a).astype(bool))
                for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id)) if not a.get("iscrowd")]
        yield Path(info["file_name"]).stem, rgb, [(n, m) for n, m in objs if m.sum() >= 400]


def coco_objects(root: Path):
    for stem, rgb, objs in coco_items(root):
        for k, (name, mask) in enumerate(objs):
            yield f"{stem}/{k}:{name}", rgb, mask, np.ones_like(mask), name


def person_objects(root: Path):
    for stem, rgb, truth, _ in people(root):
        yield stem, rgb, truth, np.ones_like(truth), "person"


def run_object(rgb, truth, valid, name, prompter):
    ls = LabelSet(("background", name))
    s = EditSession(rgb, Segmentation(np.zeros(truth.shape, np.uint8), ls), prompter=prompter)
    ious = []
    pred = np.zeros_like(truth)
    while len(ious) < MAX_CLICKS:
        click = next_click(pred & valid, truth & valid)
        if click is None:
            ious.append(1.0)
            break
        s.click(click[0], click[1], click[2], 1)
        pred = s.labels == 1
        ious.append(((pred & truth & valid).sum()) / max(((pred | truth) & valid).sum(), 1))
        if len(ious) >= 5 and ious[-1] >= 0.90:
            break
    ious += [ious[-1]] * (MAX_CLICKS - len(ious))
    return ious


def noc(ious, thr):
    return next((k + 1 for k, v in enumerate(ious) if v >= thr), MAX_CLICKS)


def table(label, runs):
    a = np.asarray(runs)
    print(f"{label:38} n={len(a):3d}  NoC@85 {np.mean([noc(r, .85) for r in a]):5.2f}  "
          f"NoC@90 {np.mean([noc(r, .90) for r in a]):5.2f}  "
          f"IoU@1 {a[:, 0].mean():.3f}  IoU@3 {a[:, 2].mean():.3f}  IoU@5 {a[:, 4].mean():.3f}")
    return a


def selfie():
    path = MODELS / "selfie_segmentation.tflite"
    if not path.is_file():
        return None
    from segcore.models.registry import load_model

    return load_model("selfie", weights=str(path))


@pytest.mark.parametrize("dataset", ["people-40", "coco-24", "labelme-voc"])
def test_noc(shared_data, dataset):
    make = {"people-40": person_objects, "coco-24": coco_objects, "labelme-voc": voc_objects}[dataset]
    objects = list(make(shared_data))
    print(f"\n{dataset}: {len(objects)} objects, simulated user, up to {MAX_CLICKS} clicks")
    grab = table("GrabCut prompter (no weights)", [run_object(r, t, v, n, None) for _, r, t, v, n in objects])
    model = selfie()
    if model is not None and any(n == "person" for *_, n in objects):
        table("person: GrabCut", [run_object(r, t, v, n, None) for _, r, t, v, n in objects if n == "person"])
        table("person: selfie prompter", [run_object(r, t, v, n, SelfiePrompter(model))
                                          for _, r, t, v, n in objects if n == "person"])
    assert grab[:, 4].mean() > grab[:, 0].mean()      # clicking helps


def labelled_photos(root: Path):
    """``(stem, rgb, labels, label set, [(class, object mask)])``: correctly labelled photos."""
    ls = LabelSet(tuple(CAMVID))
    for png in sorted((root / "camvid-20" / "labels").glob("*.png"))[:10]:
        labels = np.asarray(Image.open(png)).copy()
        labels[labels == 11] = 255
        objs = []
        for k in range(len(CAMVID)):
            n, comp, st, _ = cv2.connectedComponentsWithStats((labels == k).astype(np.uint8), connectivity=8)
            objs += [(k, comp == j) for j in range(1, n) if st[j, cv2.CC_STAT_AREA] >= 200][:2]
        yield png.stem, load(root / "camvid-20" / "images" / png.name), labels, ls, objs
    coco = json.loads((root / "coco-24" / "annotations.json").read_text())
    cats = sorted(c["name"] for c in coco["categories"])
    ls = LabelSet(("background", *cats))
    for stem, rgb, objs in list(coco_items(root))[:10]:
        labels = np.zeros(rgb.shape[:2], np.uint8)
        masks = []
        for name, m in sorted(objs, key=lambda o: -o[1].sum()):     # the smaller on top
            labels[m] = ls.names.index(name)
        for name, m in objs:
            k = ls.names.index(name)
            masks.append((k, m & (labels == k)))
        yield stem, rgb, labels, ls, [(k, m) for k, m in masks if m.sum() >= 200]


def test_locality(shared_data):
    changed, outside, times = {}, {}, {}
    base_times = []
    for stem, rgb, labels, ls, objs in labelled_photos(shared_data):
        for k, obj in objs:
            d = cv2.distanceTransform(np.pad(obj.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
            y, x = np.unravel_index(int(np.argmax(d)), d.shape)
            grown, box = grown_box(obj)
            for tool in ("click", "box", "wand"):
                s = EditSession(rgb, Segmentation(labels, ls))
                t = time.perf_counter()
                if tool == "click":
                    s.click(x, y, True, k)
                elif tool == "box":
                    s.box(*box, k)
                else:
                    s.wand(x, y, None, k)
                times.setdefault(tool, []).append(time.perf_counter() - t)
                diff = s.labels != labels
                changed.setdefault(tool, []).append(int(diff.sum()))
                outside.setdefault(tool, []).append(int((diff & ~grown).sum()))
            if len(base_times) < 20:     # the whole-photo re-cut of before, as the baseline
                fg, bg = click_seeds(obj.shape, [(x, y, True)])
                t = time.perf_counter()
                grabcut(rgb, None, init=labels == k, fg_seeds=fg, bg_seeds=bg, lab=True)
                base_times.append(time.perf_counter() - t)
    base = float(np.median(base_times))
    print(f"\nlocality on {len(changed['click'])} correctly labelled objects (camvid-20, coco-24); "
          f"baseline whole-photo GrabCut re-cut median {base * 1000:.0f} ms")
    for tool in changed:
        out = np.asarray(outside[tool])
        med = float(np.median(times[tool]))
        print(f"  {tool:5}: pixels changed mean {np.mean(changed[tool]):7.0f}; outside the object's box +10%: "
              f"total {out.sum()}, objects with any {int((out > 0).sum())}; server time median "
              f"{med * 1000:.0f} ms ({med / base:.2f}x the baseline)")
    for tool in outside:
        assert sum(outside[tool]) == 0, tool
