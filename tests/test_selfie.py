"""The selfie person model: found like any weights, checked by checksum, good on real people,
prompted by a box and clicks, and chosen for portraits whenever its file is here."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from conftest import ROOT, run_cli
from segcore import WeightsError, load_image, load_model
from segcore.models import cache
from segcore.models.weights import checkpoint_dir

MODELS = ROOT.parent / "shared" / "models"


@pytest.fixture
def model_file():
    p = MODELS / "selfie_segmentation.tflite"
    if not p.is_file():
        pytest.skip("../shared/models is absent")
    return p


@pytest.fixture
def in_cache(model_file):
    """The model file in the cache folder, as a user who downloaded it has it."""
    dest = checkpoint_dir() / model_file.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(model_file, dest)
    cache.clear()
    yield dest
    dest.unlink(missing_ok=True)
    cache.clear()


def person(shared_data, stem="7"):
    rgb = load_image(shared_data / "people-40" / "images" / f"{stem}.jpg")
    m = cv2.imread(str(shared_data / "people-40" / "masks" / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
    truth = cv2.resize(m, rgb.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 127
    return rgb, truth


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_selfie_finds_people_from_the_cache(in_cache, shared_data):
    model = load_model("selfie")
    for stem in ("7", "91", "126"):
        rgb, truth = person(shared_data, stem)
        seg = model.predict(rgb)
        assert seg.label_set.names == ("background", "person")
        assert seg.labels.shape == truth.shape and seg.confidence.min() >= 0.5
        assert iou(seg.labels == 1, truth) > 0.9, stem


def test_a_damaged_cache_file_is_refused_by_checksum(in_cache):
    data = bytearray(in_cache.read_bytes())
    data[1000] ^= 0xFF
    in_cache.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="not the published selfie_segmentation.tflite"):
        load_model("selfie")


def test_a_named_file_that_is_no_model_is_one_clear_error(tmp_path):
    bad = tmp_path / "selfie.tflite"
    bad.write_bytes(b"not a flatbuffer" * 100)
    with pytest.raises(WeightsError, match="not a usable TFLite model"):
        load_model("selfie", weights=bad)


def test_missing_file_offline_says_where_to_put_it():
    with pytest.raises(WeightsError, match="selfie_segmentation.tflite"):
        load_model("selfie", offline=True)


def test_box_restricts_and_clicks_refine(model_file, shared_data):
    model = load_model("selfie", weights=model_file)
    rgb, truth = person(shared_data, "91")
    H, W = truth.shape
    ys, xs = np.nonzero(truth)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    boxed = model.predict(rgb, box=box).labels.astype(bool)
    outside = np.ones((H, W), bool)
    outside[box[1]:box[3], box[0]:box[2]] = False
    assert not boxed[outside].any() and iou(boxed, truth) > 0.9
    # a negative click inside the person removes the part around it, nothing far away (clicks go
    # through the selfie prompter, starting from the person the model sees)
    from segcore.models.prompters import load_prompter

    y, x = np.argwhere(truth)[len(ys) // 2]
    prompter = load_prompter("selfie", weights=model_file)
    prompter.set_image(rgb)
    cut = prompter.predict([(int(x), int(y), False)], prior=model.predict(rgb).labels.astype(bool)).mask
    assert not cut[y, x] and cut.sum() < boxed.sum()
    far = np.zeros((H, W), bool)
    far[: max(1, y - H // 2)] = True
    assert (cut[far] == model.predict(rgb).labels.astype(bool)[far]).all()


def test_cutout_picks_selfie_when_its_file_is_cached(in_cache, tmp_path):
    r = run_cli("cutout", "assets/portrait.jpg", "--out", str(tmp_path / "o.png"))
    assert r.returncode == 0, r.stderr
    assert "note" not in r.stderr and (tmp_path / "o.png").is_file()


def test_cutout_falls_back_to_grabcut_and_says_so(tmp_path):
    r = run_cli("cutout", "assets/portrait.jpg", "--out", str(tmp_path / "o.png"))
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "using GrabCut" in lines[0]


def test_predict_cli_with_selfie(model_file, tmp_path):
    r = run_cli("predict", "assets/portrait.jpg", "--model", "selfie", "--weights", str(model_file),
                "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == ""   # LiteRT's delegate message is kept off the terminal
    from PIL import Image

    labels = np.asarray(Image.open(tmp_path / "portrait.png"))   # palette indices
    assert labels.shape == (800, 640) and set(np.unique(labels)) <= {0, 1}


def test_click_tool_starts_a_person_from_the_model(model_file, shared_data):
    from segcore.edit import EditSession
    from segcore.labels import LabelSet
    from segcore.models.prompters.selfie import SelfiePrompter
    from segcore.segmentation import Segmentation

    model = load_model("selfie", weights=model_file)
    rgb, truth = person(shared_data, "126")
    seg = Segmentation(np.zeros(truth.shape, np.uint8), LabelSet(("background", "person")))
    y, x = np.argwhere(truth)[truth.sum() // 2]
    s = EditSession(rgb, seg, prompter=SelfiePrompter(model))
    s.click(int(x), int(y), True, 1)
    assert iou(s.labels == 1, truth) > 0.9          # one click gives the whole person
    plain = EditSession(rgb, seg)
    plain.click(int(x), int(y), True, 1)
    assert iou(s.labels == 1, truth) > iou(plain.labels == 1, truth)


@pytest.mark.slow
def test_cutout_points_with_the_selfie_model_do_not_lower_iou(model_file, shared_data, tmp_path):
    """``segcore cutout --model selfie --points``: three clicks given at once (at the centres of
    the largest errors of the cutout without clicks) score at least as well as none on
    people-40; the command's picture is the library's person mask through the selfie prompter."""
    import sys

    from PIL import Image

    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from bench_cutout import clicks_at_once, people

    from segcore.portrait.cutout import choose_person_model, cut, person_mask

    loaded, _, _ = choose_person_model("selfie", weights=model_file)
    none, three = [], []
    for stem, rgb, truth, _ in people(shared_data):
        before = person_mask(rgb, "selfie", loaded=loaded)
        clicks = clicks_at_once(before, truth)
        none.append(iou(before, truth))
        three.append(iou(person_mask(rgb, "selfie", points=clicks, loaded=loaded), truth))
        if stem == "119":
            photo, points, want = rgb, clicks, cut(rgb, person_mask(rgb, "selfie", points=clicks, loaded=loaded)).alpha
    assert np.mean(three) >= np.mean(none), (np.mean(three), np.mean(none))
    Image.fromarray(photo).save(tmp_path / "p.png")
    r = run_cli("cutout", str(tmp_path / "p.png"), "--model", "selfie", "--weights", str(model_file), "--points",
                ";".join(f"{x},{y},{int(p)}" for x, y, p in points), "--out", str(tmp_path / "o.png"))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "o.png"))[..., 3] >= 128, want >= 0.5)
