"""Class 0 is a class like any other in exports: CamVid's ``sky`` survives a COCO export and
reads back pixel-exact; a labelme export passes labelme's own ``labelme2voc.py`` logic (its
assertions on ``labels.txt``, then labelme's reader and drawing) and reads back in segcore to
the same classes; a labelme file that gains a mask shape declares a labelme that reads it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from segcore import open_dataset
from segcore.dataset import export_dataset
from segcore.edit import ObjectSession

CAMVID = ("sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car", "pedestrian", "bicyclist")


@pytest.fixture(scope="module")
def camvid_root(shared_data, tmp_path_factory):
    """camvid-20 as a VOC root with CamVid's own classes (value 11, void, as 255)."""
    root = tmp_path_factory.mktemp("camvid") / "voc"
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    for lab in sorted((shared_data / "camvid-20" / "labels").glob("*.png")):
        shutil.copy(shared_data / "camvid-20" / "images" / lab.name, root / "JPEGImages" / lab.name)
        arr = np.asarray(Image.open(lab)).astype(np.uint8).copy()
        arr[arr == 11] = 255
        Image.fromarray(arr).save(root / "SegmentationClass" / lab.name)
    (root / "labels.txt").write_text("\n".join(CAMVID) + "\n")
    return root


def truth(root, name) -> np.ndarray:
    return np.asarray(Image.open(root / "SegmentationClass" / f"{name}.png"))


def test_coco_export_of_camvid_keeps_sky_and_reads_back_pixel_exact(camvid_root, tmp_path):
    src = open_dataset(camvid_root)
    assert src.label_set.names == CAMVID and src.label_set.background is None
    out = export_dataset(src, "coco", tmp_path / "coco" / "annotations.json")
    coco = COCO(str(out))
    cats = {c["name"]: c["id"] for c in coco.dataset["categories"]}
    assert set(cats) == set(CAMVID) and 0 not in cats.values()     # sky kept; no category id 0
    back = open_dataset(out)
    names = back.label_set.names
    sky_before = sky_after = 0
    for i, name in enumerate(src.names):
        t = truth(camvid_root, name)
        img = next(im for im in coco.dataset["images"] if im["file_name"].startswith(name))
        # pycocotools alone: each class's annotations cover exactly its pixels
        for k, cname in enumerate(CAMVID):
            m = np.zeros(t.shape, bool)
            for a in coco.imgToAnns[img["id"]]:
                if a["category_id"] == cats[cname]:
                    m |= coco.annToMask(a).astype(bool)
            np.testing.assert_array_equal(m, t == k, err_msg=f"{name} {cname}")
        sky_before += int((t == 0).sum())
        # segcore's reading: the same class, by name, at every labelled pixel
        got = back.read_labels(back.index_of(img["file_name"]))
        lut = np.full(256, 255, np.uint8)
        lut[:len(CAMVID)] = [names.index(n) for n in CAMVID]
        np.testing.assert_array_equal(got[t != 255], lut[t][t != 255])
        assert (got[t == 255] == back.label_set.background).all()   # COCO keeps no void
        sky_after += int((got == names.index("sky")).sum())
    assert sky_after == sky_before > 200_000


def labelme2voc(folder):
    """What labelme's examples/semantic_segmentation/labelme2voc.py does, with labelme's own
    library: its assertions on labels.txt, then for each JSON ``LabelFile``, the image from its
    data, ``shapes_to_label`` with its class numbering. Returns ``{stem: lbl}`` and the names."""
    labelme = pytest.importorskip("labelme")
    class_names, class_name_to_id = [], {}
    for i, line in enumerate((folder / "labels.txt").read_text().splitlines()):
        class_id = i - 1
        class_name = line.strip()
        class_name_to_id[class_name] = class_id
        if class_id == -1:
            assert class_name == "__ignore__"
            continue
        elif class_id == 0:
            assert class_name == "_background_"
        class_names.append(class_name)
    out = {}
    for filename in sorted(folder.glob("*.json")):
        label_file = labelme.LabelFile(filename=str(filename))
        img = labelme.utils.img_data_to_arr(label_file.imageData)
        lbl, _ = labelme.utils.shapes_to_label(img_shape=img.shape, shapes=label_file.shapes,
                                               label_name_to_value=class_name_to_id)
        out[filename.stem] = lbl
    return out, class_names


def test_labelme_export_of_camvid_runs_through_labelme2voc_and_reads_back(camvid_root, tmp_path):
    src = open_dataset(camvid_root)
    names = src.names[:6]
    out = export_dataset(src, "labelme", tmp_path / "lm")
    lbls, class_names = labelme2voc(out)
    assert class_names == ["_background_", *CAMVID]
    for name in names:
        t = truth(camvid_root, name).astype(np.int32)
        expected = np.where(t == 255, -1, t + 1)         # labelme numbers sky 1: 0 is _background_
        np.testing.assert_array_equal(lbls[name], expected)
    back = open_dataset(out)
    assert back.label_set.names == ("background", *CAMVID)
    for name in names:
        t = truth(camvid_root, name)
        np.testing.assert_array_equal(back.read_labels(back.index_of(name)), np.where(t == 255, 255, t + 1))


def test_labelme_file_that_gains_a_mask_shape_says_a_version_that_reads_it(shared_data, tmp_path):
    labelme = pytest.importorskip("labelme")
    root = tmp_path / "lm"
    shutil.copytree(shared_data / "labelme-voc" / "data_annotated", root)
    shutil.copy(shared_data / "labelme-voc" / "labels.txt", root / "labels.txt")
    ds = open_dataset(root)
    path = root / f"{ds.names[0]}.json"
    assert json.loads(path.read_text())["version"] == "4.0.0"
    s = ObjectSession(ds.read_image(0), ds.read_objects(0))
    ring = np.zeros(s.shape, bool)
    ring[20:60, 20:60] = True
    ring[30:50, 30:50] = False                          # a hole: no labelme polygon draws it
    s.add_objects([("dog", ring, None)])
    ds.write_objects(0, s.objects)
    data = json.loads(path.read_text())
    assert data["shapes"][-1]["shape_type"] == "mask" and data["version"] == "5.4.0"
    lf = labelme.LabelFile(filename=str(path))          # labelme reads it, mask and all
    shape = lf.shapes[-1]
    lbl, _ = labelme.utils.shapes_to_label(s.shape, [shape], {"dog": 1})
    np.testing.assert_array_equal(lbl == 1, ring)
