"""Datasets: open each kind from real files, read labels as an independent decoder does,
write one item back in the dataset's own format, reopen, and find everything else unchanged."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segcore import FormatError, open_dataset
from segcore.formats.coco import to_coco
from segcore.formats.voc import read_label_map
from segcore.labels import LabelSet

CAMVID = ("sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car",
          "pedestrian", "bicyclist")


def camvid_pairs(shared_data, n=None):
    labels = sorted((shared_data / "camvid-20" / "labels").glob("*.png"))[:n]
    return [(shared_data / "camvid-20" / "images" / p.name, p) for p in labels]


def camvid_labels(path: Path) -> np.ndarray:
    """CamVid's greyscale labels with its void (11) as 255: the truth, read with PIL alone."""
    arr = np.asarray(Image.open(path)).astype(np.uint8).copy()
    arr[arr == 11] = 255
    return arr


def edit_of(labels: np.ndarray, cls: int) -> np.ndarray:
    out = labels.copy()
    h, w = out.shape
    out[h // 4: h // 2, w // 3: w // 2] = cls
    out[5:9, 5:60] = 255
    return out


@pytest.fixture
def camvid_voc(shared_data, tmp_path):
    """A VOC root with CamVid's 11 custom classes in labels.txt (no 'background')."""
    root = tmp_path / "camvid_voc"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    for img, lab in camvid_pairs(shared_data):
        shutil.copy(img, root / "JPEGImages" / img.name)
        Image.fromarray(camvid_labels(lab)).save(root / "SegmentationClass" / lab.name)
    (root / "labels.txt").write_text("\n".join(CAMVID) + "\n")
    return root


def test_voc_root_with_custom_classes_reads_writes_and_keeps_the_rest(camvid_voc, shared_data):
    ds = open_dataset(camvid_voc)
    assert ds.kind == "voc" and len(ds) == 20
    assert ds.label_set.names == CAMVID
    pairs = camvid_pairs(shared_data)
    for i, (_, lab) in enumerate(pairs):
        assert ds[i].name == lab.stem
        np.testing.assert_array_equal(ds.read_labels(i), camvid_labels(lab))
    before = {p.name: p.read_bytes() for p in (camvid_voc / "SegmentationClass").iterdir()}
    new = edit_of(ds.read_labels(3), CAMVID.index("car"))
    ds.write_labels(3, new)

    again = open_dataset(camvid_voc)
    np.testing.assert_array_equal(again.read_labels(3), new)
    assert again[3].status == "edited"
    for p in (camvid_voc / "SegmentationClass").iterdir():
        if p.name != f"{ds[3].name}.png":
            assert p.read_bytes() == before[p.name], p.name
    # The file is a palette PNG that any VOC reader takes, and the old version is kept.
    with Image.open(camvid_voc / "SegmentationClass" / f"{ds[3].name}.png") as im:
        assert im.mode == "P"
    kept = again.versions(3)
    assert len(kept) == 1 and kept[0].read_bytes() == before[f"{ds[3].name}.png"]


def test_values_outside_the_classes_are_refused_with_the_values(camvid_voc):
    ds = open_dataset(camvid_voc)
    bad = ds.read_labels(0).copy()
    bad[0, 0], bad[1, 1] = 11, 40
    with pytest.raises(FormatError, match="values 11, 40"):
        ds.write_labels(0, bad)
    with pytest.raises(FormatError, match="is 480x360"):
        ds.write_labels(0, np.zeros((10, 10), np.uint8))


def test_add_class_writes_the_class_list_and_takes_a_new_colour(camvid_voc):
    ds = open_dataset(camvid_voc)
    k = ds.add_class("animal")
    assert k == 11
    assert ds.label_set.colors[k] not in ds.label_set.colors[:k]
    assert (camvid_voc / "labels.txt").read_text().splitlines()[-1] == "animal"
    labels = ds.read_labels(0)
    labels[:20, :20] = k
    ds.write_labels(0, labels)
    again = open_dataset(camvid_voc)
    assert again.label_set.names[-1] == "animal"
    assert (again.read_labels(0)[:20, :20] == k).all()
    with pytest.raises(FormatError, match="exists"):
        again.add_class("car")


def coco_of_camvid(shared_data, folder: Path) -> Path:
    """A COCO file of 20 images with non-contiguous category ids, its images beside it."""
    ls = LabelSet(("background",) + CAMVID[1:])   # sky is index 0's place: treat sky as background
    items = []
    for img, lab in camvid_pairs(shared_data):
        shutil.copy(img, folder / img.name)
        items.append((img.name, camvid_labels(lab)))
    data = to_coco(items, ls)
    remap = {c["id"]: 100 + 7 * c["id"] for c in data["categories"]}
    for c in data["categories"]:
        c["id"] = remap[c["id"]]
    for a in data["annotations"]:
        a["category_id"] = remap[a["category_id"]]
    data["images"].append({"id": 999, "file_name": "not_annotated.png", "height": 360, "width": 480})
    path = folder / "annotations.json"
    path.write_text(json.dumps(data))
    return path


def pycocotools_labels(path: Path, file_name: str, names) -> np.ndarray:
    """An independent decoding: pycocotools' own COCO index and annToMask."""
    from pycocotools.coco import COCO

    coco = COCO(str(path))
    img = next(i for i in coco.dataset["images"] if i["file_name"] == file_name)
    cats = {c["id"]: names.index(c["name"]) for c in coco.dataset["categories"]}
    out = np.zeros((img["height"], img["width"]), np.uint8)
    for ann in coco.imgToAnns[img["id"]]:
        out[coco.annToMask(ann).astype(bool)] = cats[ann["category_id"]]
    return out


def test_coco_file_reads_as_pycocotools_and_writes_back_one_image(shared_data, tmp_path):
    path = coco_of_camvid(shared_data, tmp_path)
    ds = open_dataset(path)
    assert ds.kind == "coco" and len(ds) == 21
    names = ds.label_set.names
    assert names[0] == "background" and names[1:] == CAMVID[1:]
    for i in (0, 7, 19):
        ref = pycocotools_labels(path, ds[i].name, names)
        got = ds.read_labels(i)
        got = np.where(got == 255, 0, got)   # COCO has no void: it reads as nothing
        assert (got == ref).mean() >= 0.999
    assert ds[20].status == "unlabelled" and ds.read_labels(20) is None
    assert ds.image_path(0) == tmp_path / ds[0].name

    original = json.loads(path.read_text())
    new = edit_of(np.where(ds.read_labels(5) == 255, 0, ds.read_labels(5)), names.index("car"))
    new[new == 255] = 0
    ds.write_labels(5, new)
    ds.write_labels(20, np.zeros((360, 480), np.uint8))   # all background: still labelled

    again = open_dataset(path)
    np.testing.assert_array_equal(again.read_labels(5), new)
    assert again[5].status == "edited" and again[20].status == "edited"
    np.testing.assert_array_equal(again.read_labels(20), 0)
    data = json.loads(path.read_text())
    img5 = next(i["id"] for i in data["images"] if i["file_name"] == ds[5].name)
    others_before = [a for a in original["annotations"] if a["image_id"] != img5]
    others_after = [a for a in data["annotations"] if a["image_id"] != img5]
    assert others_after == others_before
    assert data["images"] == original["images"] and data["categories"] == original["categories"]
    assert len({a["id"] for a in data["annotations"]}) == len(data["annotations"])
    np.testing.assert_array_equal(pycocotools_labels(path, ds[5].name, names), new)
    assert again.versions(5)[0].read_text() == json.dumps(original)


def test_coco_images_in_a_folder_beside_or_given(shared_data, tmp_path):
    (tmp_path / "images").mkdir()
    path = coco_of_camvid(shared_data, tmp_path / "images")
    moved = shutil.move(path, tmp_path / "ann.json")
    ds = open_dataset(moved)
    assert ds.image_path(0) == tmp_path / "images" / ds[0].name
    other = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "images", other)
    ds = open_dataset(moved, images=other)
    assert ds.image_path(0) == other / ds[0].name
    assert ds.read_image(0).shape == (360, 480, 3)


@pytest.fixture
def labelme_folder(shared_data, tmp_path):
    root = tmp_path / "lm"
    shutil.copytree(shared_data / "labelme-voc" / "data_annotated", root)
    return root


def test_labelme_folder_reads_as_labelmes_converter(labelme_folder, shared_data):
    ds = open_dataset(labelme_folder)
    assert ds.kind == "labelme" and len(ds) == 3
    # No labels.txt: the classes the files use, in first-seen order, after background.
    assert ds.label_set.names[0] == "background" and "person" in ds.label_set.names
    shutil.copy(shared_data / "labelme-voc" / "labels.txt", labelme_folder / "labels.txt")
    ds = open_dataset(labelme_folder)
    assert len(ds.label_set) == 21 and ds.label_set.names[15] == "person"   # labelme names, VOC order
    voc = shared_data / "labelme-voc" / "data_dataset_voc" / "SegmentationClass"
    for i in range(3):
        ref = read_label_map(voc / f"{ds[i].name}.png")
        assert (ds.read_labels(i) == ref).mean() >= 0.999


def test_labelme_write_back_is_exact_and_keeps_the_files_keys(labelme_folder, shared_data):
    shutil.copy(shared_data / "labelme-voc" / "labels.txt", labelme_folder / "labels.txt")
    ds = open_dataset(labelme_folder)
    original = {p.name: p.read_bytes() for p in labelme_folder.glob("*.json")}
    new = edit_of(ds.read_labels(1), ds.label_set.index_of("dog"))
    ds.write_labels(1, new)
    again = open_dataset(labelme_folder)
    np.testing.assert_array_equal(again.read_labels(1), new)
    for name, data in original.items():
        if name != f"{ds[1].name}.json":
            assert (labelme_folder / name).read_bytes() == data
    before = json.loads(original[f"{ds[1].name}.json"])
    after = json.loads((labelme_folder / f"{ds[1].name}.json").read_text())
    assert after["imageData"] == before["imageData"] and after["imagePath"] == before["imagePath"]
    assert {s["shape_type"] for s in after["shapes"]} <= {"polygon", "mask"}
    assert len(again.versions(1)) == 1


def test_plain_folder_takes_classes_on_first_write(shared_data, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for img, _ in camvid_pairs(shared_data, 3):
        shutil.copy(img, folder / img.name)
    ds = open_dataset(folder)
    assert ds.kind == "folder" and ds.label_set is None
    assert [it.status for it in ds] == ["unlabelled"] * 3
    with pytest.raises(FormatError, match="no classes"):
        ds.write_labels(0, np.zeros((360, 480), np.uint8))
    ds.set_label_set(LabelSet(("background", "car")))
    ds.write_labels(0, np.ones((360, 480), np.uint8))
    assert (folder / "SegmentationClass" / f"{ds[0].name}.png").is_file()
    assert (folder / "labels.txt").read_text().split() == ["background", "car"]
    again = open_dataset(folder)
    assert again[0].status == "edited" and again.read_labels(0).max() == 1


def test_statuses_survive_reopening_and_next_finds_them(camvid_voc):
    ds = open_dataset(camvid_voc)
    ds.set_status(2, "reviewed")
    ds.set_status(4, "predicted")
    again = open_dataset(camvid_voc)
    assert again[2].status == "reviewed" and again[4].status == "predicted"
    assert again.next_index(-1, statuses="reviewed") == 2
    assert again.next_index(2, statuses=("predicted",)) == 4
    assert again.next_index(4, statuses="reviewed") == 2      # wraps around
    assert again.next_index(5, statuses="reviewed", wrap=False) is None
    assert again.counts() == {"unlabelled": 0, "predicted": 1, "edited": 18, "reviewed": 1}
    # A damaged status file costs the records, not the labels.
    (camvid_voc / ".segcore" / "status.json").write_text("{not json")
    assert open_dataset(camvid_voc)[2].status == "edited"


def test_open_errors_are_one_line(tmp_path):
    with pytest.raises(FormatError, match="does not exist"):
        open_dataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="holds no images"):
        open_dataset(tmp_path / "empty")
    (tmp_path / "x.json").write_text('{"shapes": []}')
    one = open_dataset(tmp_path / "x.json")       # one labelme file: a dataset of one item
    assert one.kind == "labelme" and one.names == ["x"]
    with pytest.raises(FormatError, match=r"^x.json: labelme field imageHeight: field required"):
        one.read_labels(0)


def test_items_sort_naturally_and_open_without_decoding(tmp_path):
    for name in ("img10.jpg", "img2.jpg", "img1.jpg"):
        (tmp_path / name).write_bytes(b"not decoded at open")
    ds = open_dataset(tmp_path)
    assert ds.names == ["img1", "img2", "img10"]


@pytest.mark.slow
def test_killing_a_writer_never_leaves_a_half_written_file(shared_data, tmp_path):
    """A process writes labels into a COCO file and a VOC root in a loop; at 100 random moments
    of its writing it is stopped (SIGSTOP: the files are as a kill there would leave them), then
    killed: every file it leaves reads back whole."""
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    path = coco_of_camvid(shared_data, tmp_path)
    voc = tmp_path / "voc"
    (voc / "JPEGImages").mkdir(parents=True)
    for img, _ in camvid_pairs(shared_data, 3):
        shutil.copy(img, voc / "JPEGImages" / img.name)
    (voc / "labels.txt").write_text("\n".join(CAMVID) + "\n")
    code = f"""
import numpy as np
from segcore import open_dataset
a, b = open_dataset({str(path)!r}), open_dataset({str(voc)!r})
rng = np.random.default_rng()
while True:
    for ds in (a, b):
        i = int(rng.integers(0, 3))
        labels = np.zeros((360, 480), np.uint8)       # a few objects: a write takes milliseconds
        for _ in range(6):
            y, x, h, w = (int(v) for v in rng.integers((0, 0, 10, 10), (300, 420, 60, 60)))
            labels[y:y + h, x:x + w] = rng.integers(1, 5)
        ds.write_labels(i, labels)
    print("wrote", flush=True)
"""
    rng = np.random.default_rng(1)
    p = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ), stdout=subprocess.PIPE)
    try:
        assert select.select([p.stdout], [], [], 120)[0] and p.stdout.readline() == b"wrote\n"
        for _ in range(MOMENTS):
            time.sleep(float(rng.random()) * 0.05)      # a random moment of its writing
            p.send_signal(signal.SIGSTOP)
            json.loads(path.read_text())                # whole: the COCO file parses
            for png in (voc / "SegmentationClass").glob("*.png"):
                with Image.open(png) as im:
                    im.load()                           # and every label PNG decodes
            p.send_signal(signal.SIGCONT)
        time.sleep(float(rng.random()) * 0.05)
        p.send_signal(signal.SIGKILL)
        p.wait()
    finally:
        p.kill()
        p.wait()
    coco = open_dataset(path)
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        COCO(str(path))
    for i in range(3):
        assert coco.read_labels(i).shape == (360, 480)
    png = open_dataset(voc)
    for i in range(3):
        labels = png.read_labels(i)
        assert labels is None or labels.shape == (360, 480)


MOMENTS = 100


def test_a_broken_or_unrelated_json_does_not_stop_a_folder_opening(labelme_folder, tmp_path):
    (labelme_folder / "zz_broken.json").write_text('{"shapes": [')
    ds = open_dataset(labelme_folder)
    assert ds.kind == "labelme" and "person" in ds.label_set.names
    with pytest.raises(FormatError, match="zz_broken"):
        ds.read_labels(ds.index_of("zz_broken"))
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (20, 10)).save(photos / "a.jpg")
    (photos / "config.json").write_text('{"not": "a dataset"')
    assert open_dataset(photos).kind == "folder"
