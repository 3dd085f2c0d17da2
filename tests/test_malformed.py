"""Broken label files: convert, eval and the app's import give a right result or one clear
line, never a traceback, and never leave a partial output file.

A generator makes over 200 damaged COCO, labelme and VOC files from good ones: truncated
JSON, wrong types, short polygons, NaN and far-away coordinates, RLE whose counts do not add
up, sizes that disagree, palette values outside the classes, 16-bit PNGs, broken PNGs.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segcore.cli import main
from segcore.formats.coco import to_coco
from segcore.formats.labelme import to_labelme
from segcore.labels import LabelSet

LS = LabelSet(("background", "cat", "dog"))
H, W = 24, 32


def good_labels():
    lab = np.zeros((H, W), np.uint8)
    lab[4:12, 5:15] = 1
    lab[14:20, 18:30] = 2
    lab[6:9, 8:11] = 0          # a hole: written as RLE
    return lab


def coco_variants():
    base = to_coco([("a.png", good_labels())], LS)
    out = []

    def v(name, mutate):
        d = copy.deepcopy(base)
        mutate(d)
        out.append((f"coco_{name}", json.dumps(d)))

    poly = next(a for a in base["annotations"] if isinstance(a["segmentation"], list))
    pi = base["annotations"].index(poly)
    rle_i = next(i for i, a in enumerate(base["annotations"]) if isinstance(a["segmentation"], dict))
    bad_values = [None, "x", 3, -1, 1e308, float("nan"), [], {}, [1, 2], True]
    for k, val in enumerate(bad_values):
        v(f"images_{k}", lambda d, val=val: d.__setitem__("images", val))
        v(f"anns_{k}", lambda d, val=val: d.__setitem__("annotations", val))
        v(f"cats_{k}", lambda d, val=val: d.__setitem__("categories", val))
        v(f"height_{k}", lambda d, val=val: d["images"][0].__setitem__("height", val))
        v(f"width_{k}", lambda d, val=val: d["images"][0].__setitem__("width", val))
        v(f"seg_{k}", lambda d, val=val: d["annotations"][pi].__setitem__("segmentation", val))
        v(f"catid_{k}", lambda d, val=val: d["annotations"][pi].__setitem__("category_id", val))
        v(f"imageid_{k}", lambda d, val=val: d["annotations"][pi].__setitem__("image_id", val))
        v(f"counts_{k}", lambda d, val=val: d["annotations"][rle_i]["segmentation"].__setitem__("counts", val))
        v(f"rlesize_{k}", lambda d, val=val: d["annotations"][rle_i]["segmentation"].__setitem__("size", val))
    for n in range(0, 6):
        v(f"short_poly_{n}", lambda d, n=n: d["annotations"][pi].__setitem__("segmentation", [list(range(n))]))
    for k, c in enumerate([float("nan"), float("inf"), 1e12, -1e9, 1e30]):
        v(f"coord_{k}", lambda d, c=c: d["annotations"][pi].__setitem__("segmentation", [[0, 0, c, 0, 5, 5]]))
    for k, counts in enumerate([[H * W + 5], [1, 2, 3], [-5, H * W + 5], [H * W, 10, 10], "zzzz", "0", "\x7f\x7f",
                                "PPPPPPPPPPPPPPP"]):
        v(f"rle_counts_{k}", lambda d, c=counts: d["annotations"][rle_i]["segmentation"].__setitem__("counts", c))
    v("rle_other_size", lambda d: d["annotations"][rle_i]["segmentation"].__setitem__("size", [H + 1, W]))
    v("size_mismatch_image", lambda d: d["images"][0].__setitem__("height", H * 2))
    v("dup_image_id", lambda d: d["images"].append(dict(d["images"][0], file_name="b.png")))
    v("unknown_category", lambda d: d["annotations"][pi].__setitem__("category_id", 99))
    for k, val in enumerate([True, 1e12, None, 5, "", ["a.png"], {"a": 1}]):
        v(f"file_name_{k}", lambda d, val=val: d["images"][0].__setitem__("file_name", val))
    for k, val in enumerate([True, "1", 1.5, None]):
        v(f"image_id_{k}", lambda d, val=val: d["images"][0].__setitem__("id", val))
    for k, val in enumerate(["cat\ndog", "", 7, "a\x00b"]):
        v(f"cat_name_{k}", lambda d, val=val: d["categories"][0].__setitem__("name", val))
    v("dup_cat_name", lambda d: d["categories"].append(dict(d["categories"][0], id=50)))
    text = json.dumps(base)
    for k, cut in enumerate(np.linspace(1, len(text) - 2, 25).astype(int)):
        out.append((f"coco_truncated_{k}", text[:cut]))
    return out


def labelme_variants():
    base = to_labelme(good_labels(), LS, image_path="a.png")
    out = []

    def v(name, mutate):
        d = copy.deepcopy(base)
        mutate(d)
        out.append((f"labelme_{name}", json.dumps(d)))

    bad_values = [None, "x", 3, -1, 1e308, float("nan"), [], {}, [1, 2], True]
    for k, val in enumerate(bad_values):
        v(f"shapes_{k}", lambda d, val=val: d.__setitem__("shapes", val))
        v(f"height_{k}", lambda d, val=val: d.__setitem__("imageHeight", val))
        v(f"points_{k}", lambda d, val=val: d["shapes"][0].__setitem__("points", val))
        v(f"label_{k}", lambda d, val=val: d["shapes"][0].__setitem__("label", val))
        v(f"type_{k}", lambda d, val=val: d["shapes"][0].__setitem__("shape_type", val))
        v(f"shape_{k}", lambda d, val=val: d["shapes"].__setitem__(0, val))
    for k, c in enumerate([float("nan"), 1e12, -1e9, "a"]):
        v(f"coord_{k}", lambda d, c=c: d["shapes"][0].__setitem__("points", [[0, 0], [c, 0], [5, 5]]))
    for n in range(0, 3):
        v(f"few_points_{n}", lambda d, n=n: d["shapes"][0].__setitem__("points", [[1, 1]] * n))
    v("unknown_label", lambda d: d["shapes"][0].__setitem__("label", "zebra"))
    for k, val in enumerate([True, 1e12, None, 5, ["a.png"]]):
        v(f"image_path_{k}", lambda d, val=val: d.__setitem__("imagePath", val))
    v("label_newline", lambda d: d["shapes"][0].__setitem__("label", "cat\ndog"))
    v("mask_bad_b64", lambda d: d["shapes"].append({"label": "cat", "points": [[0, 0], [3, 3]],
                                                     "shape_type": "mask", "mask": "!!notbase64"}))
    v("mask_wrong_box", lambda d: d["shapes"].append({"label": "cat", "points": [[0, 0], [90, 90]],
                                                       "shape_type": "mask", "mask": "iVBORw0KGgo="}))
    v("imagedata_garbage", lambda d: d.__setitem__("imageData", "$$$$"))
    text = json.dumps(base)
    for k, cut in enumerate(np.linspace(1, len(text) - 2, 15).astype(int)):
        out.append((f"labelme_truncated_{k}", text[:cut]))
    return out


def png_variants(folder: Path):
    out = []
    lab = good_labels()

    def save(name, im):
        p = folder / f"{name}.png"
        im.save(p)
        out.append(p)

    for k, v in enumerate((3, 7, 100, 254)):
        bad = lab.copy()
        bad[0, 0] = v
        save(f"voc_value_{v}", Image.fromarray(bad, mode="P"))
    for k, v in enumerate((2, 300, 65535)):
        arr = lab.astype(np.uint16)
        arr[0, 0] = v
        save(f"voc_16bit_{v}", Image.fromarray(arr))          # mode I;16: a 16-bit PNG
    save("voc_rgba_unknown", Image.fromarray(np.full((H, W, 4), 77, np.uint8), mode="RGBA"))
    save("voc_grey_alpha", Image.new("LA", (W, H)))
    good = folder / "good_src.png"
    Image.fromarray(lab, mode="P").save(good)
    data = good.read_bytes()
    for k, cut in enumerate((8, 20, 40, len(data) // 2, len(data) - 10)):
        p = folder / f"voc_truncated_{k}.png"
        p.write_bytes(data[:cut])
        out.append(p)
    for name, content in (("voc_text", b"hello"), ("voc_empty", b"")):
        p = folder / f"{name}.png"
        p.write_bytes(content)
        out.append(p)
    good.unlink()
    return out


def run_main(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    (folder / "labels.txt").write_text("background\ncat\ndog\n")
    files = []
    for name, text in coco_variants() + labelme_variants():
        p = folder / f"{name}.json"
        p.write_text(text)
        files.append(p)
    files += png_variants(folder)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(folder / "a.png.jpg")
    assert len(files) >= 200        # what the tests below promise
    return folder, files


def test_convert_gives_a_result_or_one_line_and_no_partial_file(broken, tmp_path):
    folder, files = broken
    refused = 0
    for k, f in enumerate(files):
        for fmt, out in (("coco", tmp_path / f"o{k}.json"), ("labelme", tmp_path / f"lm{k}")):
            code, err = run_main(["convert", str(f), "--to", fmt, "--out", str(out),
                                  "--labels", str(folder / "labels.txt")])
            assert code in (0, 1), (f.name, err)
            if code == 1:
                refused += 1
                lines = err.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, (f.name, err)
                assert not out.exists() or (out.is_dir() and not any(out.iterdir())), f.name
            elif fmt == "coco":
                json.loads(out.read_text())                       # whole and valid
        leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
        assert not leftovers, f.name
    assert refused > 150


def test_eval_gives_a_result_or_one_line(broken, tmp_path):
    folder, files = broken
    pngs = [f for f in files if f.suffix == ".png"]
    good = tmp_path / "good.png"
    Image.fromarray(good_labels(), mode="P").save(good)
    for f in pngs:
        for pred, gt in ((f, good), (good, f)):
            code, err = run_main(["eval", "--pred", str(pred), "--gt", str(gt), "--labels", str(folder / "labels.txt")])
            assert code in (0, 1), (f.name, err)
            if code == 1:
                lines = err.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("error: "), (f.name, err)


def test_app_opens_broken_label_files_with_a_result_or_a_message(broken, tmp_path, monkeypatch):
    """A dataset holding one broken label file: the app opens, and the item shows or is
    skipped with a one-line message; the page never dies."""
    import gradio as gr

    from demo import uploads as hu
    from demo.session import Seed, serve
    from segcore.errors import SegcoreError

    said = []
    monkeypatch.setattr(gr, "Warning", lambda message, *a, **k: said.append(message))
    folder, files = broken
    for k, f in enumerate(files[::3]):
        d = tmp_path / f"d{k}"
        d.mkdir()
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(d / "x.jpg")
        if f.suffix == ".png":
            (d / "SegmentationClass").mkdir()
            (d / "SegmentationClass" / "x.png").write_bytes(f.read_bytes())
            (d / "labels.txt").write_text("background\ncat\ndog\n")
        else:
            (d / "x.json").write_bytes(f.read_bytes())
        try:
            served = serve(d)
        except SegcoreError as e:
            assert "\n" not in str(e), (f.name, str(e))
            continue
        said.clear()
        state, canvas, _, status, _ = hu.load(Seed(served), "")
        assert all("\n" not in m and len(m) < 400 for m in said), (f.name, said)
        assert canvas.get("w") == W or said or "has no images" in status, (f.name, status)


def test_every_broken_json_opens_with_a_result_or_one_line(broken):
    """Through the dataset layer (what the app and prelabel use): open, then read every item;
    a broken file is a one-line FormatError naming the file, never another exception."""
    from segcore import open_dataset
    from segcore.errors import SegcoreError

    folder, files = broken
    said = 0
    for f in files:
        if f.suffix != ".json":
            continue
        try:
            ds = open_dataset(f)
            for i in range(len(ds)):
                ds.read_labels(i)
        except SegcoreError as e:
            said += 1
            assert "\n" not in str(e) and f.name in str(e) or "neither COCO" in str(e), (f.name, str(e))
    assert said > 100


@pytest.mark.parametrize("value", [True, 1e12])
def test_a_coco_file_name_that_is_not_text_names_the_field(tmp_path, value):
    data = to_coco([("a.png", good_labels())], LS)
    data["images"][0]["file_name"] = value
    (tmp_path / "c.json").write_text(json.dumps(data))
    code, err = run_main(["convert", str(tmp_path / "c.json"), "--to", "voc", "--out", str(tmp_path / "o")])
    assert code == 1 and err.startswith("error: c.json: COCO field images[0].file_name: input should be a valid "
                                        "string"), err
    assert len(err.strip().splitlines()) == 1
