"""Pre-labelling by concepts (SAM 3, tiny random configuration): every class found by name in
every item without labels, the photo encoded once; what a person made stays byte-identical."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli, textured_image

pytest.importorskip("transformers")
pytest.importorskip("open_clip")

from sam3_tiny import save_tiny  # noqa: E402
from test_sam3 import reference  # noqa: E402

THRESHOLD = 0.25          # the tiny random model scores about 0.25: about half its queries pass


@pytest.fixture(scope="module")
def sam3_dir(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("sam3") / "tiny", seed=0, num_queries=5)


@pytest.fixture
def one_thread():
    """torch on one thread: a tiny model on two threads of a loaded machine runs 5x slower."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def cli(capsys, *args):
    """``segcore ARGS`` in this process: ``(exit code, stdout, stderr)``."""
    from segcore.cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def camvid_root(shared_data, dst, size=None, n=None):
    from camvid import camvid_voc

    root = camvid_voc(shared_data / "camvid-20", dst, size=size)
    if n is not None:
        for f in sorted((root / "JPEGImages").iterdir())[n:]:
            f.unlink()
    return root


def expected_from_transformers(model, rgb, prompts, label_set):
    """The class map and confidence the instances of transformers' own pipeline make: a pixel
    goes to the surest instance over it; void where none is (camvid has no background)."""
    h, w = rgb.shape[:2]
    best = np.zeros((h, w), np.float32)
    labels = np.full((h, w), 255, np.uint8)
    for k, text in prompts.items():
        ref = reference(model, rgb, text, THRESHOLD)
        for mask, score in zip(ref["masks"].numpy().astype(bool), ref["scores"].tolist()):
            take = mask & (np.float32(score) > best)
            labels[take], best[take] = k, score
    return labels, best


def test_prelabel_concepts_on_camvid_keeps_what_a_person_made(shared_data, tmp_path, sam3_dir, one_thread, capsys):
    from segcore import open_dataset
    from segcore.dataset.prelabel import least_sure_first, uncertain_pixels
    from segcore.models import CONCEPTS, load

    root = camvid_root(shared_data, tmp_path / "voc")
    ds = open_dataset(root)
    assert ds.label_set.names[0] == "sky" and len(ds) == 20
    rng = np.random.default_rng(0)
    h, w = ds.image_size(0)
    for i in (0, 1, 2):
        ds.write_labels(i, rng.integers(0, 11, (h, w), dtype=np.uint8))
    ds.set_status(2, "reviewed")
    kept = {p: p.read_bytes() for p in (root / "SegmentationClass").iterdir()}

    code, out, err = cli(capsys, "prelabel", root, "--concepts", "--weights", sam3_dir, "--threshold", THRESHOLD,
                         "--prompt", "pavement=sidewalk", "--prompt", "pedestrian=person")
    assert code == 0, err
    assert "predicted 17 of 20 items (3 already labelled and kept)" in out
    assert "pavement as 'sidewalk'" in err and "11 classes" in err
    saved = json.loads((root / ".segcore" / "prompts.json").read_text())
    assert saved["prompts"] == {"pavement": "sidewalk", "pedestrian": "person"}

    ds = open_dataset(root)
    assert [ds.status(i) for i in range(3)] == ["edited", "edited", "reviewed"]
    for p, data in kept.items():
        assert p.read_bytes() == data, p.name
    assert not (root / ".segcore" / "history").exists()       # nothing of theirs was replaced
    confidences = []
    for i in range(3, 20):
        info = ds.item_info(i)
        assert ds.status(i) == "predicted" and info["model"] == "sam3"
        assert 0 < info["confidence"] < 1
        confidences.append(info["confidence"])
        assert ds.read_labels(i).shape == (h, w)
        assert uncertain_pixels(ds, i) is not None
    assert len(set(confidences)) > 1
    order = least_sure_first(ds, "predicted")
    assert [ds.item_info(i)["confidence"] for i in order] == sorted(confidences)

    # The labels are what transformers finds for each class's prompt, surest on top.
    model = load("sam3", CONCEPTS, weights=sam3_dir).model
    prompts = {k: n for k, n in enumerate(ds.label_set.names)}
    prompts.update({4: "sidewalk", 9: "person"})
    for i in (3, 19):
        labels, best = expected_from_transformers(model, ds.read_image(i), prompts, ds.label_set)
        got = ds.read_labels(i)
        assert len(np.unique(got)) > 2
        assert (got == labels).mean() > 0.999, ds.names[i]        # ties of equal scores aside
        assert abs(float(best.mean()) - ds.item_info(i)["confidence"]) < 1e-6


def test_a_pixel_two_instances_claim_goes_to_the_surer(tmp_path):
    from segcore.dataset.prelabel_concepts import Found, paint_found
    from segcore.labels import LabelSet

    a = np.zeros((4, 6), bool)
    a[:, :4] = True
    b = np.zeros((4, 6), bool)
    b[:, 2:] = True
    ls = LabelSet(("sky", "car", "person"))
    labels, conf = paint_found([Found(1, a, 0.6), Found(2, b, 0.9)], (4, 6), ls)
    assert labels[:, :2].tolist() == [[1, 1]] * 4 and (labels[:, 2:] == 2).all()
    assert np.allclose(conf[:, :2], 0.6) and np.allclose(conf[:, 2:], 0.9)
    labels, conf = paint_found([Found(1, a, 0.6)], (4, 6), ls)
    assert (labels[:, 4:] == 255).all() and (conf[:, 4:] == 0).all()         # class 0 is not "nothing"
    with_bg = LabelSet(("background", "car"))
    labels, _ = paint_found([Found(1, a, 0.6)], (4, 6), with_bg)
    assert (labels[:, 4:] == 0).all() and (labels[:, :4] == 1).all()


def test_the_background_class_is_not_prompted_and_prompt_texts_are_kept(tmp_path):
    from segcore import open_dataset
    from segcore.dataset.concept_prompts import prompt_of, set_concept_prompt
    from segcore.dataset.prelabel_concepts import class_prompts
    from segcore.errors import FormatError

    (tmp_path / "JPEGImages").mkdir()
    Image.fromarray(textured_image(30, 40)).save(tmp_path / "JPEGImages" / "a.jpg")
    (tmp_path / "labels.txt").write_text("_background_\npavement\ncar\n")
    ds = open_dataset(tmp_path)
    assert class_prompts(ds) == {1: "pavement", 2: "car"}
    set_concept_prompt(ds, "pavement", "  sidewalk ")
    assert prompt_of(open_dataset(tmp_path), 1) == "sidewalk"
    assert class_prompts(ds) == {1: "sidewalk", 2: "car"}
    set_concept_prompt(ds, 1, "")
    assert prompt_of(ds, "pavement") == "pavement"
    with pytest.raises(FormatError, match="unknown class"):
        set_concept_prompt(ds, "lorry", "truck")
    (tmp_path / ".segcore" / "prompts.json").write_text("{broken")
    assert class_prompts(ds) == {1: "pavement", 2: "car"}      # a broken file costs the texts only


def test_instance_dataset_gets_one_object_per_instance_with_its_score(shared_data, tmp_path, sam3_dir, one_thread):
    from pycocotools.coco import COCO

    from segcore import open_dataset
    from segcore.dataset.prelabel_concepts import prelabel_concepts
    from segcore.models import CONCEPTS, load

    src = json.loads((shared_data / "coco-24" / "annotations.json").read_text())
    images = src["images"][:3]
    keep = [dict(a, category_id=src["categories"][0]["id"]) for a in src["annotations"]
            if a["image_id"] == images[0]["id"]]
    cats = src["categories"][:3]
    path = tmp_path / "coco.json"
    path.write_text(json.dumps({"images": images, "annotations": keep, "categories": cats}))
    ds = open_dataset(path, images=shared_data / "coco-24" / "images")
    before = json.loads(path.read_text())["annotations"]
    model = load("sam3", CONCEPTS, weights=sam3_dir)
    steps = list(prelabel_concepts(ds, model, threshold=THRESHOLD))
    assert [s.outcome for s in steps] == ["predicted", "predicted"] and [s.index for s in steps] == [1, 2]
    after = json.loads(path.read_text())["annotations"]
    assert after[:len(before)] == before                     # the labelled image's entries untouched
    coco = COCO(str(path))
    again = open_dataset(path, images=shared_data / "coco-24" / "images")
    assert again.label_set.names[0] == "background"
    for i in (1, 2):
        assert again.status(i) == "predicted" and again.item_info(i)["model"] == "sam3"
        rgb = again.read_image(i)
        want = []              # (class, mask, score) transformers finds for each category's name
        for k, cat in enumerate(cats, start=1):
            ref = reference(model.model, rgb, cat["name"], THRESHOLD)
            want += [(k, m.numpy().astype(bool), s) for m, s in zip(ref["masks"], ref["scores"].tolist()) if m.any()]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[images[i]["id"]]))
        assert len(anns) == len(want) > 3
        objects = again.read_objects(i)
        assert len(objects) == len(want)
        for a in anns:        # each annotation is one instance found, its score kept
            k = [c["id"] for c in cats].index(a["category_id"]) + 1
            mask = coco.annToMask(a).astype(bool)
            match = [w for w in want if w[0] == k and abs(w[2] - a["score"]) < 1e-6]
            assert len(match) == 1 and (match[0][1] == mask).all()
        top = max(want, key=lambda w: w[2])       # the surest is on top where instances overlap
        assert (again.read_labels(i)[top[1]] == top[0]).all()
        assert sorted(o.fields["score"] for o in objects) == sorted(w[2] for w in want)


def test_cli_mistakes_read_as_one_line(tmp_path, capsys):
    (tmp_path / "JPEGImages").mkdir()
    Image.fromarray(textured_image(30, 40)).save(tmp_path / "JPEGImages" / "a.jpg")
    (tmp_path / "labels.txt").write_text("sky\ncar\n")
    for args, words in ((["--concepts", "--model", "grabcut"], "either --model or --concepts"),
                        (["--prompt", "car=auto"], "--prompt goes with --concepts"),
                        (["--concepts", "--prompt", "car"], "CLASS=TEXT"),
                        (["--concepts", "--prompt", "lorry=truck"], "unknown class"),
                        (["--concepts", "--threshold", "2"], "between 0 and 1"),
                        (["--concepts", "--weights", str(tmp_path)], "no config.json")):
        code, _, err = cli(capsys, "prelabel", tmp_path, *args)
        assert code == 1, (args, err)
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: ") and words in last, (args, err)


@pytest.mark.slow
def test_ray_writes_the_same_files_as_without(shared_data, tmp_path, sam3_dir):
    pytest.importorskip("ray")
    roots = [camvid_root(shared_data, tmp_path / name, size=(320, 240), n=6) for name in ("local", "ray")]
    for root in roots:       # one item a person edited, in both
        shutil.rmtree(root.parent / f"{root.name}-truth")
        lab = np.zeros((240, 320), np.uint8)
        lab[:100] = 3
        from segcore import open_dataset
        open_dataset(root).write_labels(1, lab)
    common = ["--concepts", "--weights", str(sam3_dir), "--threshold", str(THRESHOLD), "--prompt", "car=vehicle"]
    r = run_cli("prelabel", str(roots[0]), *common)
    assert r.returncode == 0, r.stderr
    r = run_cli("prelabel", str(roots[1]), *common, "--ray")
    assert r.returncode == 0, r.stderr
    assert "predicted 5 of 6" in r.stdout
    files = sorted(p.relative_to(roots[0]) for p in roots[0].rglob("*") if p.is_file())
    assert sorted(p.relative_to(roots[1]) for p in roots[1].rglob("*") if p.is_file()) == files
    assert len([f for f in files if f.parts[0] == "SegmentationClass"]) == 6
    person = f"{open_dataset(roots[0]).names[1]}.png"
    # What a person made: the same bytes. What the model predicted: the same but for pixels whose
    # logit is about 0 (Ray's workers add the same floats on other threads; a random model has
    # many such pixels): one in a thousand at most, the confidence one grey level apart at most.
    for f in files:
        a, b = roots[0] / f, roots[1] / f
        if f.parts[0] == "JPEGImages":
            continue
        if f.suffix == ".png" and f.name != person:
            pa, pb = (np.asarray(Image.open(p), np.int16) for p in (a, b))
            assert pa.shape == pb.shape, f
            if f.parts[:2] == (".segcore", "confidence"):
                assert np.abs(pa - pb).max() <= 1, f
            else:
                assert (pa != pb).mean() <= 0.001, (f, int((pa != pb).sum()))
        elif f.name.endswith("status.json"):
            sa, sb = json.loads(a.read_text()), json.loads(b.read_text())
            assert _close(sa, sb), f
        elif f.name == "usage.json":    # the history's size: of PNGs of those predicted labels
            ua, ub = json.loads(a.read_text()), json.loads(b.read_text())
            assert ua.keys() == ub.keys() and all(abs(ua[k] - ub[k]) <= 0.02 * max(ua[k], 1) for k in ua), f
        elif f.name == "log.jsonl":     # the history: the same entries (written at other times)
            keep = ("file", "kind", "note", "number", "objects", "tool", "user")
            la, lb = ([{k: e[k] for k in keep if k in e} for e in map(json.loads, p.read_text().splitlines())]
                      for p in (a, b))
            assert la == lb, f
        else:
            assert a.read_bytes() == b.read_bytes(), f
    for root in roots:
        assert (root / "SegmentationClass" / person).read_bytes() == (roots[0] / "SegmentationClass" / person).read_bytes()
        assert np.array_equal(np.asarray(Image.open(root / "SegmentationClass" / person)), lab)


def _close(a, b, tol=1e-3) -> bool:
    """The same JSON, its floats within ``tol``."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b))
    return a == b


def test_a_person_labelling_an_item_while_the_model_runs_keeps_their_labels(tmp_path):
    """A concept model takes seconds to minutes an item: where a person labels the item
    meanwhile (another session saves it), the prediction is not written over it; the step
    fails in one line and the person's labels are the file's."""
    from segcore import open_dataset
    from segcore.dataset.prelabel_concepts import prelabel_concepts

    root = tmp_path / "voc"
    (root / "JPEGImages").mkdir(parents=True)
    Image.fromarray(textured_image(48, 64)).save(root / "JPEGImages" / "a.jpg")
    (root / "labels.txt").write_text("background\ncar\nperson\n")
    person = np.zeros((48, 64), np.uint8)
    person[10:30, 10:40] = 2

    class Model:          # finds a car everywhere, while a person labels the item in another session
        def instances(self, rgb, texts, threshold):
            other = open_dataset(root)
            other.write_labels(0, person, status="edited")
            return [[type("I", (), {"mask": np.ones(rgb.shape[:2], bool), "score": 0.9})()] if t == "car" else []
                    for t in texts]

    ds = open_dataset(root)
    (step,) = list(prelabel_concepts(ds, Model()))
    assert step.outcome == "failed" and "labelled by someone else meanwhile" in step.message
    assert np.array_equal(open_dataset(root).read_labels(0), person) and open_dataset(root).status(0) == "edited"
