"""Person cutout quality and speed on ../shared/data/people-40.

Run: python -m pytest -s tests/bench/bench_cutout.py

(a) plain OpenCV GrabCut from the mask's bounding box; (b) our cutout from the same box
(alpha >= 0.5); (c) (b) plus 3 clicks by a simulated user, each at the centre (the point
farthest from its edge) of the largest error region, positive on a miss, negative on a false
alarm. Person IoU, boundary F-measure (2 px tolerance), median seconds per megapixel. Also:
the guided filter against closed-form matting on (b)'s masks. Boxes touching the photo's
border are moved 1 px inwards, so GrabCut has background to learn from.
"""

import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from segcore.portrait.cutout import cut, person_mask
from segcore.image import load


def people(root: Path):
    for img in sorted((root / "people-40" / "images").glob("*.jpg"), key=lambda p: int(p.stem)):
        rgb = load(img)
        H, W = rgb.shape[:2]
        m = cv2.imread(str(root / "people-40" / "masks" / f"{img.stem}.png"), cv2.IMREAD_GRAYSCALE)
        truth = cv2.resize(m, (W, H), interpolation=cv2.INTER_NEAREST) > 127
        ys, xs = np.nonzero(truth)
        box = (max(int(xs.min()), 1), max(int(ys.min()), 1), min(int(xs.max()) + 1, W - 1), min(int(ys.max()) + 1, H - 1))
        yield img.stem, rgb, truth, box


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def boundary_f(pred, truth, tol=2):
    def edge(m):
        m = m.astype(np.uint8)
        return (m - cv2.erode(m, np.ones((3, 3), np.uint8))).astype(bool)

    pe, te = edge(pred), edge(truth)
    if not pe.any() or not te.any():
        return float(pe.any() == te.any())
    dt_t = cv2.distanceTransform((~te).astype(np.uint8), cv2.DIST_L2, 3)
    dt_p = cv2.distanceTransform((~pe).astype(np.uint8), cv2.DIST_L2, 3)
    precision = (dt_t[pe] <= tol).mean()
    recall = (dt_p[te] <= tol).mean()
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def plain_grabcut(rgb, box):
    codes = np.zeros(rgb.shape[:2], np.uint8)
    x0, y0, x1, y1 = box
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(rgb, codes, (x0, y0, x1 - x0, y1 - y0), bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    return np.isin(codes, (cv2.GC_FGD, cv2.GC_PR_FGD))


def next_click(pred, truth):
    """The simulated user: the centre of the largest error region."""
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


def simulated_clicks(start, truth, predict_with, rounds=3):
    """The simulated user clicks ``rounds`` times; ``predict_with(clicks)`` gives the new mask.
    Returns ``(final mask, clicks made)``."""
    clicks, pred = [], start
    for _ in range(rounds):
        click = next_click(pred, truth)
        if click is None:
            break
        clicks.append(click)
        pred = predict_with(clicks)
    return pred, len(clicks)


def test_people40_table(shared_data):
    rows = {k: {"iou": [], "bf": [], "s_per_mp": []} for k in ("a", "b", "c")}
    solvers = {"guided": ([], []), "closed_form": ([], [])}
    for stem, rgb, truth, box in people(shared_data):
        mp = rgb.shape[0] * rgb.shape[1] / 1e6
        t = time.perf_counter()
        a = plain_grabcut(rgb, box)
        rows["a"]["s_per_mp"].append((time.perf_counter() - t) / mp)
        t = time.perf_counter()
        mask = person_mask(rgb, "grabcut", box=box)
        b = cut(rgb, mask).alpha >= 0.5
        rows["b"]["s_per_mp"].append((time.perf_counter() - t) / mp)
        t = time.perf_counter()
        c, n = simulated_clicks(b, truth, lambda clicks: cut(rgb, person_mask(rgb, "grabcut", box=box,
                                                                               points=clicks)).alpha >= 0.5)
        rows["c"]["s_per_mp"].append((time.perf_counter() - t) / mp / max(1, n))
        for k, pred in (("a", a), ("b", b), ("c", c)):
            rows[k]["iou"].append(iou(pred, truth))
            rows[k]["bf"].append(boundary_f(pred, truth))
        for solver, (ious, secs) in solvers.items():
            t = time.perf_counter()
            alpha = cut(rgb, mask, solver).alpha
            secs.append((time.perf_counter() - t) / mp)
            ious.append(iou(alpha >= 0.5, truth))
    names = {"a": "(a) plain GrabCut, box", "b": "(b) cutout, same box", "c": "(c) (b) + 3 clicks"}
    print(f"\n{'method':28} {'mean IoU':>9} {'median IoU':>11} {'boundary F':>11} {'s/MP (median)':>14}")
    for k, r in rows.items():
        print(f"{names[k]:28} {np.mean(r['iou']):9.4f} {np.median(r['iou']):11.4f} {np.mean(r['bf']):11.4f} "
              f"{statistics.median(r['s_per_mp']):14.3f}")
    print("(c) time is per click round")
    for solver, (ious, secs) in solvers.items():
        print(f"matting {solver:12} mean IoU {np.mean(ious):.4f}, matting + foreground {statistics.median(secs):.3f} s/MP")
    assert np.mean(rows["b"]["iou"]) > np.mean(rows["a"]["iou"])
    assert np.mean(rows["c"]["iou"]) > 0.85


def clicks_at_once(pred, truth, n=3):
    """What a user of ``segcore cutout --points`` does: looks at the result without clicks and
    gives ``n`` clicks at once, at the centres of the ``n`` largest error regions (positive on a
    miss, negative on a false alarm)."""
    regions = []
    for err, positive in ((truth & ~pred, True), (pred & ~truth, False)):
        n_regions, comp, stats, _ = cv2.connectedComponentsWithStats(err.astype(np.uint8), connectivity=8)
        regions += [(stats[k, cv2.CC_STAT_AREA], comp == k, positive) for k in range(1, n_regions)]
    out = []
    for _, region, positive in sorted(regions, key=lambda r: -r[0])[:n]:
        d = cv2.distanceTransform(np.pad(region.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(d)), d.shape)
        out.append((int(x), int(y), positive))
    return out


def test_selfie_cutout_with_three_clicks_scores_at_least_as_well_as_without(shared_data):
    """``segcore cutout --model selfie --points`` (``portrait.cutout``'s path: the selfie
    prompter, as the editor's clicks): IoU of the written alpha (>= 0.5) and of the mask, no
    clicks against 3 clicks at once, and 3 clicks one after the other (each seeing the last)."""
    from segcore.portrait.cutout import choose_person_model

    models = Path(__file__).resolve().parents[3] / "shared" / "models" / "selfie_segmentation.tflite"
    if not models.is_file():
        import pytest

        pytest.skip("../shared/models is absent")
    loaded, _, _ = choose_person_model("selfie", weights=models)
    rows = {k: [] for k in ("no clicks", "3 clicks at once", "3 clicks in turn")}
    alpha = {k: [] for k in rows}
    secs = []
    for stem, rgb, truth, _ in people(shared_data):
        none = person_mask(rgb, "selfie", loaded=loaded)
        clicks = clicks_at_once(none, truth)
        t = time.perf_counter()
        once = person_mask(rgb, "selfie", points=clicks, loaded=loaded)
        secs.append(time.perf_counter() - t)
        turn, _ = simulated_clicks(none, truth, lambda c: person_mask(rgb, "selfie", points=c, loaded=loaded))
        for k, m in (("no clicks", none), ("3 clicks at once", once), ("3 clicks in turn", turn)):
            rows[k].append(iou(m, truth))
            alpha[k].append(iou(cut(rgb, m).alpha >= 0.5, truth))
    print(f"\nselfie cutout on people-40 ({len(secs)} photos): mean IoU, mask / written alpha >= 0.5")
    for k in rows:
        print(f"  {k:18} {np.mean(rows[k]):.4f} / {np.mean(alpha[k]):.4f}")
    print(f"  3 clicks at once: {statistics.median(secs):.3f} s median per photo")
    assert np.mean(alpha["3 clicks at once"]) >= np.mean(alpha["no clicks"])
    assert np.mean(alpha["3 clicks in turn"]) >= np.mean(alpha["no clicks"])
