import json

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import confusion_matrix as sk_confusion

from conftest import run_cli
from segcore.errors import FormatError
from segcore.metrics import confusion_matrix, evaluate


def reference(truths, preds, n, ignore=255):
    """An independent implementation: scikit-learn's confusion matrix and textbook formulas."""
    t = np.concatenate([x.ravel() for x in truths]).astype(int)
    p = np.concatenate([x.ravel() for x in preds]).astype(int)
    keep = t != ignore
    cm = sk_confusion(t[keep], p[keep], labels=list(range(n))).astype(float)
    tp = np.diag(cm)
    gt, pr = cm.sum(1), cm.sum(0)
    present = (gt + pr) > 0
    iou = tp[present] / (gt + pr - tp)[present]
    return {"pixel_accuracy": tp.sum() / cm.sum(), "mean_accuracy": np.mean(tp[gt > 0] / gt[gt > 0]),
            "miou": iou.mean(), "fwiou": np.sum(gt[present] / gt.sum() * iou),
            "mean_dice": np.mean(2 * tp[present] / (gt + pr)[present]), "cm": cm}


def test_against_sklearn_on_random_maps():
    rng = np.random.default_rng(1)
    truths = [rng.integers(0, 6, (30, 40)).astype(np.uint8) for _ in range(4)]
    preds = [np.where(rng.random(t.shape) < 0.6, t, rng.integers(0, 6, t.shape)).astype(np.uint8) for t in truths]
    for t in truths:
        t[rng.random(t.shape) < 0.1] = 255
    total, per_image = evaluate(zip(truths, preds), 8)
    ref = reference(truths, preds, 8)
    np.testing.assert_array_equal(total.matrix, ref["cm"])
    for key in ("pixel_accuracy", "mean_accuracy", "miou", "fwiou", "mean_dice"):
        assert getattr(total, key)() == pytest.approx(ref[key], abs=1e-9), key
    assert len(per_image) == 4
    assert total.report([str(i) for i in range(8)])["per_class"].keys() == {str(i) for i in range(6)}


def test_absent_classes_are_left_out_and_void_predictions_miss():
    t = np.array([[1, 1, 2, 2]], np.uint8)
    p = np.array([[1, 255, 2, 2]], np.uint8)
    cm = confusion_matrix(t, p, 21)
    assert cm.support[1] == 2 and cm.tp[1] == 1
    assert cm.miou() == pytest.approx((0.5 + 1.0) / 2)  # 19 absent classes are not means' zeros
    assert cm.pixel_accuracy() == pytest.approx(0.75)
    with pytest.raises(FormatError, match="differ in size"):
        confusion_matrix(t, p[:, :2], 21)


def test_eval_cli_json_matches_reference_on_real_labels(shared_data, tmp_path):
    gts = sorted((shared_data / "camvid-20" / "labels").glob("*.png"))[:6]
    names = "sky building pole road pavement tree sign fence car pedestrian bicyclist".split()
    (tmp_path / "labels.txt").write_text("\n".join(names))
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    rng = np.random.default_rng(0)
    truths, preds = [], []
    for g in gts:
        t = np.asarray(Image.open(g)).copy()
        t[t == 11] = 255                   # CamVid void -> ignore index
        p = np.roll(t, 3, axis=1).copy()   # a shifted prediction with real structure
        p[p == 255] = 3
        p[rng.random(p.shape) < 0.02] = 0
        Image.fromarray(t).save(tmp_path / "gt" / g.name)
        Image.fromarray(p).save(tmp_path / "pred" / g.name)
        truths.append(t)
        preds.append(p)
    r = run_cli("eval", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--labels",
                str(tmp_path / "labels.txt"), "--json", "--plots", str(tmp_path / "plots"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    ref = reference(truths, preds, 11)
    for key in ("pixel_accuracy", "mean_accuracy", "miou", "fwiou", "mean_dice"):
        assert out[key] == pytest.approx(ref[key], abs=1e-6), key
    assert set(out["per_class"]["road"]) == {"iou", "dice", "precision", "recall", "support"}
    assert np.array_equal(np.array(out["confusion_matrix"]), ref["cm"])
    for f in ("confusion.png", "iou.png"):
        assert Image.open(tmp_path / "plots" / f).size[0] > 100
    table = run_cli("eval", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--labels",
                    str(tmp_path / "labels.txt"))
    assert "mIoU" in table.stdout and "road" in table.stdout


def test_eval_cli_errors(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "d").mkdir()
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(tmp_path / "d" / "a.png")
    r = run_cli("eval", "--pred", str(tmp_path / "a.png"), "--gt", str(tmp_path / "d" / "a.png"))
    assert r.returncode == 1 and "a.png" in r.stderr and "4x4" in r.stderr
    r = run_cli("eval", "--pred", str(tmp_path / "nope"), "--gt", str(tmp_path / "d"))
    assert r.returncode == 1 and "does not exist" in r.stderr
