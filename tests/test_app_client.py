"""The app in-process on a free port, driven through gradio_client as a script would."""


import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image
from pycocotools.coco import COCO

from segcore.edit import LAYER_ALPHA


def edited_layer(tmp_path, box, color=(192, 128, 128)):
    """The layer as the browser would return it: current mask plus a painted rectangle."""
    from segcore.edit import mask_layer
    from segcore.models.registry import load_model

    seg = load_model("grabcut").predict("assets/portrait.jpg")
    layer = mask_layer(seg)
    x0, y0, x1, y1 = box
    layer[y0:y1, x0:x1] = (*color, LAYER_ALPHA)
    p = tmp_path / f"layer_{x0}_{y0}.png"
    Image.fromarray(layer, "RGBA").save(p)
    return p


def test_segment_edit_export_coco(app_url, tmp_path):
    c = Client(app_url, verbose=False)
    out = c.predict(handle_file("assets/portrait.jpg"), "grabcut", None, 0.5, api_name="/segment")
    assert Image.open(out[0]).size == (640, 800)
    layer = edited_layer(tmp_path, (10, 10, 110, 60))
    c.predict({"background": handle_file("assets/portrait.jpg"), "layers": [handle_file(str(layer))],
               "composite": None}, "background", 0.5, api_name="/apply_edit")
    path = c.predict("COCO JSON", api_name="/export")
    coco = COCO(path)
    masks = [coco.annToMask(a) for a in coco.dataset["annotations"]]
    painted = np.zeros((800, 640), bool)
    painted[10:60, 10:110] = True
    assert any(m[painted].all() for m in masks)


def test_two_clients_keep_their_own_masks(app_url, tmp_path):
    a, b = Client(app_url, verbose=False), Client(app_url, verbose=False)
    a.predict(handle_file("assets/portrait.jpg"), "grabcut", None, 0.5, api_name="/segment")
    b.predict(handle_file("assets/scene.jpg"), "grabcut", None, 0.5, api_name="/segment")
    layer = edited_layer(tmp_path, (500, 20, 600, 80))
    a.predict({"background": None, "layers": [handle_file(str(layer))], "composite": None},
              "background", 0.5, api_name="/apply_edit")
    pa = np.asarray(Image.open(a.predict("VOC PNG", api_name="/export")))
    pb = np.asarray(Image.open(b.predict("VOC PNG", api_name="/export")))
    assert pa.shape == (800, 640) and pb.shape == (375, 500)
    assert (pa[20:80, 500:600] == 1).all()


def test_bad_inputs_get_clear_errors_and_the_app_keeps_serving(app_url, tmp_path):
    c = Client(app_url, verbose=False)
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(Exception, match="not an image"):
        c.predict(handle_file(str(text)), "grabcut", None, 0.5, api_name="/segment")
    with pytest.raises(Exception, match="Upload an image"):
        c.predict(None, "grabcut", None, 0.5, api_name="/segment")
    with pytest.raises(Exception, match="Segment first"):
        c.predict("COCO JSON", api_name="/export")
    c.predict(handle_file("assets/scene.jpg"), "grabcut", None, 0.5, api_name="/segment")
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(small)
    with pytest.raises(Exception, match="10x10"):
        c.predict(handle_file(str(small)), None, api_name="/evaluate")
    summary, _, _ = c.predict(None, api_name="/evaluate")
    assert "mIoU 1.0000" in summary  # nothing corrected yet: the model agrees with itself


def test_cutout_endpoint(app_url):
    c = Client(app_url, verbose=False)
    shown, path = c.predict(handle_file("assets/portrait.jpg"), "grabcut", None, "", "320,300,1", "blur",
                            "#ffffff", None, "guided", api_name="/cutout")
    assert Image.open(path).size == (640, 800)
    with pytest.raises(Exception, match="off the"):
        c.predict(handle_file("assets/portrait.jpg"), "grabcut", None, "", "9000,1,1", "blur",
                  "#ffffff", None, "guided", api_name="/cutout")
