import json
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli, textured_image
from segcore.errors import FormatError
from segcore.formats.labelme import labelme_to_labels, read_labelme, to_labelme
from segcore.formats.voc import read_label_map, write_label_png, write_voc_dataset
from segcore.labels import LabelSet

VOC = LabelSet.voc()


def sample_labels():
    lab = np.zeros((40, 50), np.uint8)
    lab[5:20, 5:30] = 15
    lab[22:35, 10:45] = 7
    lab[0, :] = 255
    return lab


def test_palette_png_round_trip_exact(tmp_path):
    lab = sample_labels()
    write_label_png(tmp_path / "m.png", lab, VOC)
    im = Image.open(tmp_path / "m.png")
    assert im.mode == "P" and im.getpalette()[255 * 3:255 * 3 + 3] == [224, 224, 192]
    np.testing.assert_array_equal(read_label_map(tmp_path / "m.png", VOC), lab)


def test_rgb_and_greyscale_masks(tmp_path):
    lab = sample_labels()
    Image.fromarray(VOC.lut()[lab]).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(read_label_map(tmp_path / "rgb.png", VOC), lab)
    rgb = VOC.lut()[lab]
    rgb[3, 3] = (1, 2, 3)
    Image.fromarray(rgb).save(tmp_path / "odd.png")
    with pytest.raises(FormatError, match="#010203"):
        read_label_map(tmp_path / "odd.png", VOC)
    Image.fromarray(np.full((4, 4), 30, np.uint8)).save(tmp_path / "grey.png")
    with pytest.raises(FormatError, match="values 30"):
        read_label_map(tmp_path / "grey.png", VOC)


def test_camvid_greyscale_with_a_labels_file(shared_data, tmp_path):
    names = ["sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car",
             "pedestrian", "bicyclist", "void"]
    (tmp_path / "camvid.txt").write_text("\n".join(names))
    ls = LabelSet.from_file(tmp_path / "camvid.txt")
    p = sorted((shared_data / "camvid-20" / "labels").glob("*.png"))[0]
    lab = read_label_map(p, ls)
    assert lab.shape == (360, 480) and lab.max() <= 11


def test_voc_dataset_loads_in_torchvision(tmp_path):
    from torchvision.datasets import VOCSegmentation

    root = tmp_path / "VOCdevkit" / "VOC2012"
    items = [(f"img{i}", textured_image(40, 50, seed=i), sample_labels()) for i in range(3)]
    write_voc_dataset(root, items, VOC)
    ds = VOCSegmentation(str(tmp_path), year="2012", image_set="train", download=False)
    assert len(ds) == 3
    img, target = ds[1]
    assert img.size == (50, 40)
    np.testing.assert_array_equal(np.asarray(target), sample_labels())


def test_labelme_matches_labelmes_own_converter(shared_data):
    root = shared_data / "labelme-voc"
    ls = LabelSet.from_file(root / "labels.txt")
    for js in sorted((root / "data_annotated").glob("*.json")):
        got = labelme_to_labels(read_labelme(js), ls, str(js))
        ref = np.asarray(Image.open(root / "data_dataset_voc" / "SegmentationClass" / f"{js.stem}.png"))
        assert (got == ref).mean() >= 0.995, js.name


def test_labelme_write_round_trip_with_holes():
    lab = np.zeros((50, 60), np.uint8)
    lab[5:45, 5:55] = 15
    lab[15:30, 15:30] = 0       # background hole
    lab[20:25, 35:45] = 7       # another class inside
    lab[40:44, 20:24] = 255     # void inside
    data = to_labelme(lab, VOC, "x.jpg")
    assert {s["label"] for s in data["shapes"]} == {"person", "_background_", "car", "__ignore__"}
    back = labelme_to_labels(data, VOC)
    assert (back == lab).mean() >= 0.995


def test_labelme_shape_kinds():
    data = {"imageHeight": 40, "imageWidth": 40, "shapes": [
        {"label": "cat", "shape_type": "rectangle", "points": [[30, 30], [10, 10]]},
        {"label": "dog", "shape_type": "circle", "points": [[20, 20], [20, 25]]},
        {"label": "person", "shape_type": "point", "points": [[35, 5]]},
        {"label": "car", "shape_type": "linestrip", "points": [[0, 38], [20, 38], [20, 39]]}]}
    lab = labelme_to_labels(data, VOC)
    assert lab[11, 11] == VOC.index_of("cat") and lab[20, 20] == VOC.index_of("dog")
    assert lab[5, 35] == VOC.index_of("person") and lab[38, 5] == VOC.index_of("car")
    data["shapes"].append({"label": "unicorn", "points": [[0, 0], [1, 1], [0, 1]]})
    with pytest.raises(FormatError, match="shape 4: unknown class name 'unicorn'"):
        labelme_to_labels(data, VOC)


def test_convert_cli_round_trips(shared_data, tmp_path):
    root = shared_data / "labelme-voc"
    labels = str(root / "labels.txt")
    assert run_cli("convert", str(root / "data_annotated"), "--to", "coco", "--out",
                   str(tmp_path / "c.json"), "--labels", labels).returncode == 0
    r = run_cli("convert", str(tmp_path / "c.json"), "--to", "voc", "--out", str(tmp_path / "voc"),
                "--labels", labels, "--images", str(root / "data_annotated"))
    assert r.returncode == 0, r.stderr
    r = run_cli("convert", str(tmp_path / "voc"), "--to", "labelme", "--out", str(tmp_path / "lm"),
                "--labels", labels)
    assert r.returncode == 0, r.stderr
    ls = LabelSet.from_file(labels)
    written = sorted((tmp_path / "lm").glob("*.json"))
    assert len(written) == 3                    # labelme's 3 examples: the loop below checks each
    for js in written:
        got = labelme_to_labels(read_labelme(js), ls)
        ref = np.asarray(Image.open(root / "data_dataset_voc" / "SegmentationClass" / f"{js.stem}.png"))
        labelled = ref != 255  # COCO has no void category: __ignore__ comes back as background
        assert (got == ref)[labelled].mean() >= 0.995
    # labelme straight to VOC keeps void too, as labelme's own converter does
    r = run_cli("convert", str(root / "data_annotated"), "--to", "voc", "--out", str(tmp_path / "direct"),
                "--labels", labels)
    assert r.returncode == 0, r.stderr
    written = sorted((tmp_path / "direct" / "SegmentationClass").glob("*.png"))
    assert len(written) == 3
    for png in written:
        ref = np.asarray(Image.open(root / "data_dataset_voc" / "SegmentationClass" / png.name))
        assert (np.asarray(Image.open(png)) == ref).mean() >= 0.995
    # the COCO export put its images in images/ beside it: every file_name resolves
    data = json.loads((tmp_path / "c.json").read_text())
    assert all((tmp_path / "images" / img["file_name"]).is_file() for img in data["images"])
    shutil.rmtree(tmp_path / "images")
    r = run_cli("convert", str(tmp_path / "c.json"), "--to", "voc", "--out", str(tmp_path / "v2"), "--labels", labels)
    assert r.returncode == 1 and "folder of the images" in r.stderr


def test_convert_refuses_an_image_of_another_size(tmp_path):
    write_label_png(tmp_path / "a.png", sample_labels(), VOC)
    (tmp_path / "img").mkdir()
    Image.fromarray(textured_image(30, 50)).save(tmp_path / "img" / "a.jpg")
    r = run_cli("convert", str(tmp_path / "a.png"), "--to", "coco", "--out", str(tmp_path / "c.json"),
                "--images", str(tmp_path / "img"))
    assert r.returncode == 1 and "a: image 50x30 and mask 50x40 differ in size" in r.stderr
    assert not (tmp_path / "c.json").exists()
