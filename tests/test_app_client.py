"""The app in-process on a free port, driven through gradio_client as a script would: each
client has its own session; every edit reaches the dataset's files on disk."""

from pathlib import Path

import numpy as np
import pytest
from gradio_client.exceptions import AppError
from gradio_client import Client, handle_file
from PIL import Image
from pycocotools.coco import COCO

from segcore.dataset import open_dataset


def disk_labels(folder, name):
    ds = open_dataset(folder)
    return ds.read_labels(ds.index_of(name)), ds.status(ds.index_of(name))


def test_walk_click_box_wand_apply_next(dataset_app):
    url, folder = dataset_app
    c = Client(url, verbose=False)
    value, files, status = c.predict("scene1.png", api_name="/open_item")
    assert "scene1" in status and value["w"] == 320 and value["h"] == 240
    # The wand fills the uniform square (80..240 x 60..180) with "car".
    value, _, _ = c.predict(x=150, y=100, tolerance=10, class_name="car", api_name="/wand")
    labels, status = disk_labels_after(c, folder, "scene1")
    assert status == "edited" and (labels[60:180, 80:240] == 1).all() and (labels == 1).sum() == 160 * 120
    # A stroke of "person" (class 2) along the top rows, radius 3: pixel-exact, no gaps.
    strokes = [{"points": [[10, 10], [100, 10]], "radius": 3, "cls": 2}]
    c.predict({"pending": strokes}, api_name="/apply_edit")
    labels, _ = disk_labels_after(c, folder, "scene1")
    assert (labels[7:14, 10:101] == 2).all() and (labels[15, 10:101] != 2).all()
    # Undo takes the stroke back; the wand's square stays.
    c.predict(api_name="/undo")
    labels, _ = disk_labels_after(c, folder, "scene1")
    assert not (labels == 2).any() and (labels == 1).sum() == 160 * 120
    # Clicks: a positive click then a negative one; markers come back with the mask.
    value, _, _ = c.predict(x=160, y=120, mode="add", class_name="person", api_name="/click_point")
    assert value["markers"] == [[160, 120, 1]]
    value, _, _ = c.predict(x=20, y=200, mode="remove", class_name="person", api_name="/click_point")
    assert value["markers"] == [[160, 120, 1], [20, 200, 0]]
    value, _, _ = c.predict(api_name="/undo")
    assert value["markers"] == [[160, 120, 1]]
    # A box re-cuts "car" inside it only.
    c.predict(x0=0, y0=0, x1=60, y1=50, class_name="car", api_name="/box")
    value, _, status = c.predict(api_name="/next_item")
    assert "scene2" in status
    labels, _ = disk_labels(folder, "scene1")
    assert (labels[60:180, 80:240] > 0).mean() > 0.9
    c.predict(api_name="/prev_item")
    _, _, status = c.predict(api_name="/mark_reviewed")
    assert "reviewed" in status
    assert disk_labels(folder, "scene1")[1] == "reviewed"


def disk_labels_after(c, folder, name):
    """What is on disk once the app has saved (moving saves; here: an export waits for it)."""
    c.predict("voc_png", api_name="/export")
    return disk_labels(folder, name)


def test_two_clients_keep_their_own_work(dataset_app):
    url, folder = dataset_app
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    va, _, _ = a.predict("scene3.png", api_name="/open_item")
    vb, _, _ = b.predict("scene0.png", api_name="/open_item")
    a.predict(x=5, y=5, mode="add", class_name="car", api_name="/click_point")
    vb2, _, sb = b.predict(api_name="/apply_edit")
    assert "scene0" in sb and vb2["markers"] == []
    va2, _, sa = a.predict(api_name="/apply_edit")
    assert "scene3" in sa and va2["markers"] == [[5, 5, 1]]
    vb3, _, _ = b.predict(api_name="/undo")     # b has no steps: a's click stays
    va3, _, _ = a.predict(api_name="/apply_edit")
    assert va3["markers"] == [[5, 5, 1]]


def test_mistakes_are_messages_and_views_keep_their_values(dataset_app):
    url, folder = dataset_app
    c = Client(url, verbose=False)
    c.predict("scene2.png", api_name="/open_item")
    before = disk_labels(folder, "scene2")[0]
    for kwargs, api in [({"x": 999, "y": 5, "mode": "add", "class_name": "car"}, "/click_point"),
                        ({"x": 5, "y": 5, "mode": "add", "class_name": "boat"}, "/click_point"),
                        ({"x": 5, "y": 5, "mode": "maybe", "class_name": "car"}, "/click_point"),
                        ({"x0": 5, "y0": 5, "x1": 5, "y1": 9, "class_name": "car"}, "/box"),
                        ({"item": "nope.png"}, "/open_item"),
                        ({"item": "99"}, "/open_item")]:
            with pytest.raises(AppError) as e:    # a script's mistake raises, carrying the message
                c.predict(**kwargs, api_name=api)
            assert "\n" not in str(e.value) and len(str(e.value)) > 10, (api, kwargs)
    _, _, status = c.predict(api_name="/apply_edit")
    assert "scene2" in status and "no edits yet" in status
    after = disk_labels(folder, "scene2")[0]
    assert (before is None and after is None) or np.array_equal(before, after)


SELFIE = Path(__file__).resolve().parents[2] / "shared" / "models" / "selfie_segmentation.tflite"


def segment_portrait(c):
    """The portrait uploaded and segmented with the selfie model (GrabCut needs a prompt: the
    app refuses it for Segment, and every view keeps its value)."""
    if not SELFIE.is_file():
        pytest.skip("../shared/models/selfie_segmentation.tflite is absent")
    with pytest.raises(AppError, match="(?i)prompt"):   # through the API a mistake raises, with its message
        c.predict(image=handle_file("assets/portrait.jpg"), model_name="grabcut", weights=None,
                  replace=False, api_name="/segment")
    return c.predict(image=handle_file("assets/portrait.jpg"), model_name="selfie", weights=handle_file(str(SELFIE)),
                     replace=False, api_name="/segment")


def test_uploads_segment_export(app_url, tmp_path):
    c = Client(app_url, verbose=False)
    value, _, status = segment_portrait(c)
    assert value["w"] == 640 and value["h"] == 800 and "portrait" in status
    c.predict({"pending": [{"points": [[10, 10], [110, 10]], "radius": 4, "cls": 1}]}, api_name="/apply_edit")
    path = c.predict("coco_json", api_name="/export")
    coco = COCO(path)
    fg = np.zeros((800, 640), bool)
    for a in coco.dataset["annotations"]:
        fg |= coco.annToMask(a).astype(bool)
    assert fg[6:15, 10:111].all()
    png = c.predict("voc_png", api_name="/export")
    assert Image.open(png).size == (640, 800)


def test_panels_act_on_the_current_image(app_url, tmp_path):
    import json
    import zipfile

    from segcore.formats import labelme

    c = Client(app_url, verbose=False)
    value, _, _ = segment_portrait(c)
    fg_share = value["classes"][1][2]
    summary, _, _ = c.predict(gt_file=None, api_name="/evaluate")
    assert "prediction" in summary and "pixel accuracy 1.0000" in summary
    c.predict({"pending": [{"points": [[0, 0], [639, 0]], "radius": 30, "cls": 1}]}, api_name="/apply_edit")
    summary, _, _ = c.predict(gt_file=None, api_name="/evaluate")
    assert "pixel accuracy 1.0000" not in summary
    # Portrait from the current mask onto white: where the mask is background, white.
    picture, png = c.predict("the current mask", None, "colour", "#ffffff", None, "guided", api_name="/cutout")
    out = np.asarray(Image.open(png).convert("RGB"))
    assert out.shape == (800, 640, 3) and (out[790, 5] > 240).all()
    # A helper on the selected class (1): change it to background, then undo.
    value, _, _ = c.predict("change_class", 0, "background", api_name="/helper")
    assert value["classes"][1][2] == ""
    value, _, _ = c.predict(api_name="/undo")
    assert value["classes"][1][2] != "" and value["classes"][1][2] != fg_share   # the stroke is back
    # Another image: pre-label all gives it labels; exports hold both images.
    c.predict([handle_file("assets/scene.jpg")], api_name="/add_images")
    _, files, status = c.predict("selfie", handle_file(str(SELFIE)), "all unlabelled", api_name="/prelabel")
    assert "scene" in status and "predicted" in status and "0 of 2 reviewed" in files
    with zipfile.ZipFile(c.predict("labelme_zip", api_name="/export")) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".json"))
        assert [n.split("/")[-1] for n in names] == ["portrait.json", "scene.json"]
        data = json.loads(z.read(names[0]))
    assert labelme.is_labelme(data) and data["imageWidth"] == 640
    with zipfile.ZipFile(c.predict("voc_zip", api_name="/export")) as z:
        assert {"VOC/SegmentationClass/portrait.png", "VOC/JPEGImages/scene.jpg"} <= set(z.namelist())
