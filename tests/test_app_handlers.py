"""App handlers called directly, without a server."""

import json
import zipfile

import gradio as gr
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from demo import handlers as h
from demo import portrait as hp
from segcore.edit import LAYER_ALPHA


@pytest.fixture()
def session():
    out = h.segment("assets/portrait.jpg", "grabcut", None, 0.5)
    return out[0]


def painted_layer(session, box, color=(128, 0, 0)):
    layer = h.edit.mask_layer(session.seg)
    x0, y0, x1, y1 = box
    layer[y0:y1, x0:x1, :3] = color
    layer[y0:y1, x0:x1, 3] = LAYER_ALPHA
    return layer


def test_segment_outputs(session):
    out = h.segment("assets/portrait.jpg", "grabcut", None, 0.5)
    overlay, legend, shares = out[1], out[2], out[3]
    assert Image.open(overlay).size == (640, 800)
    assert "foreground" in legend and "#c08080" in legend
    assert {row[0] for row in shares} == {"background", "foreground"}
    assert abs(sum(row[1] for row in shares) - 100) < 0.1


def test_apply_undo_redo(session):
    before = session.seg.labels.copy()
    layer = painted_layer(session, (10, 10, 60, 40), color=(224, 224, 192))  # paint void
    layer[700:, 200:400, 3] = 0                                            # erase part of the torso
    out = h.apply_edit({"background": None, "layers": [layer], "composite": None}, "background", session)
    s = out[0]
    assert (s.seg.labels[10:40, 10:60] == 255).all()
    assert (s.seg.labels[700:, 200:400] == 0).all()
    h.undo(s)
    np.testing.assert_array_equal(s.seg.labels, before)
    h.redo(s)
    assert (s.seg.labels[10:40, 10:60] == 255).all()


def test_edit_errors(session):
    with pytest.raises(gr.Error, match="differ|is 10x10"):
        h.apply_edit({"layers": [np.zeros((10, 10, 4), np.uint8)]}, "background", session)
    with pytest.raises(gr.Error, match="no mask layer"):
        h.apply_edit({"layers": []}, "background", session)
    with pytest.raises(gr.Error, match="Segment first"):
        h.apply_edit({"layers": []}, "background", None)
    with pytest.raises(gr.Error, match="Upload an image"):
        h.segment(None, "grabcut", None, 0.5)


def test_bad_image_and_missing_weights(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("not an image")
    with pytest.raises(gr.Error, match="not an image"):
        h.segment(str(p), "grabcut", None, 0.5)
    with pytest.raises(gr.Error, match="fcn_resnet101_coco-7ecb50ca.pth.*choose grabcut"):
        h.segment("assets/scene.jpg", "fcn_resnet101", None, 0.5)
    assert "missing" in h.model_card("fcn_resnet101") and "grabcut" in h.model_card("fcn_resnet101")


def test_helpers(session):
    labels = session.seg.labels
    h.replace_class(session, "foreground", "background")
    assert (session.seg.labels == 0).all()
    h.undo(session)
    np.testing.assert_array_equal(session.seg.labels, labels)
    h.grabcut_box(session, 150, 50, 490, 800, "foreground")
    assert session.seg.labels[400, 320] == 1 and session.seg.labels[100, 20] == labels[100, 20]
    h.remove_islands(session, 50)
    h.fill_holes(session, "foreground")
    with pytest.raises(gr.Error, match="outside"):
        h.grabcut_box(session, 900, 900, 1000, 1000, "foreground")


def test_exports_open_in_other_tools(session, tmp_path):
    layer = painted_layer(session, (20, 20, 120, 90))
    h.apply_edit({"layers": [layer]}, "background", session)
    coco = COCO(h.export(session, "COCO JSON"))
    assert coco.dataset["images"][0]["file_name"] == "portrait.jpg"
    png = h.export(session, "VOC PNG")
    assert png.endswith("portrait.png") and Image.open(png).mode == "P"
    with zipfile.ZipFile(h.export(session, "VOC dataset (zip)")) as z:
        names = set(z.namelist())
    assert {"VOC/JPEGImages/portrait.jpg", "VOC/SegmentationClass/portrait.png",
            "VOC/ImageSets/Segmentation/train.txt"} <= names
    lm = json.loads(open(h.export(session, "labelme JSON")).read())
    assert lm["imageWidth"] == 640 and lm["imageData"]
    assert Image.open(h.export(session, "overlay PNG")).size == (640, 800)
    with pytest.raises(gr.Error, match="Unknown export format"):
        h.export(session, "TIFF")


def test_import_and_evaluate(session, tmp_path):
    labels = session.seg.labels.copy()
    labels[:100, :100] = 1
    from segcore.formats.voc import write_label_png
    write_label_png(tmp_path / "portrait.png", labels, session.seg.label_set)
    h.import_labels(str(tmp_path / "portrait.png"), session)
    np.testing.assert_array_equal(session.seg.labels, labels)
    summary, table, picture = h.evaluate(None, session)
    assert "mIoU" in summary and picture.ndim == 3
    assert {row[0] for row in table} == {"background", "foreground"}
    summary, table, _ = h.evaluate(str(tmp_path / "portrait.png"), session)
    assert "mIoU 1.0000" in summary
    write_label_png(tmp_path / "small.png", labels[:50], session.seg.label_set)
    with pytest.raises(gr.Error, match="640x50"):
        h.import_labels(str(tmp_path / "small.png"), session)
    with pytest.raises(gr.Error, match="640x50"):
        h.evaluate(str(tmp_path / "small.png"), session)


def test_click_scribble_and_snap(session):
    h.click_segment(session, "40,40,1", "foreground")
    assert session.seg.labels[40, 40] == 1
    h.undo(session)
    with pytest.raises(gr.Error, match="off the"):
        h.click_segment(session, "4000,40,1", "foreground")
    h.replace_class(session, "foreground", "background")             # start from nothing
    layer = painted_layer(session, (280, 600, 360, 620), color=session.seg.label_set.colors[1])  # on the torso
    layer[30:40, 20:80] = (0, 0, 0, LAYER_ALPHA)                     # a background stroke on the wall
    h.scribble({"layers": [layer]}, session, "foreground")
    labels = session.seg.labels
    assert labels[610, 320] == 1 and labels[35, 50] == 0
    assert labels[680, 250] == 1                                     # grown over the torso beyond the stroke
    stroke = h.edit.mask_layer(session.seg)
    stroke[300:304, 30:60] = (0, 0, 0, 0)
    stroke[20:24, 20:60] = (*session.seg.label_set.colors[1], LAYER_ALPHA)
    grown = h.snap_strokes({"layers": [stroke]}, session)[0]
    assert (grown.seg.labels[20:24, 20:60] == 1).all()
    with pytest.raises(gr.Error, match="Paint a stroke"):
        h.snap_strokes({"layers": [h.edit.mask_layer(session.seg)]}, session)


def test_cutout_handler(tmp_path):
    shown, download, folder = hp.cutout(None, "assets/portrait.jpg", "grabcut", None, "", "", "transparent",
                                        "#ffffff", None)
    rgba = np.asarray(Image.open(download))
    assert rgba.shape == (800, 640, 4) and download.endswith("portrait_cutout.png")
    assert ((rgba[..., 3] > 0) & (rgba[..., 3] < 255)).any()
    # results live in the session's folder and go with it
    assert Path(download).is_relative_to(folder)
    for _ in range(3):
        _, green, _ = hp.cutout(folder, "assets/portrait.jpg", "grabcut", None, "", "", "colour", "#00ff00", None)
    assert len(list(Path(folder).iterdir())) == 2
    assert tuple(np.asarray(Image.open(green))[5, 5]) == (0, 255, 0)
    hp.cleanup_folder(folder)
    assert not Path(green).exists()
    with pytest.raises(gr.Error, match="x0,y0,x1,y1"):
        hp.cutout(None, "assets/portrait.jpg", "grabcut", None, "1,2", "", "transparent", "#ffffff", None)
    with pytest.raises(gr.Error, match="outside"):
        hp.cutout(None, "assets/portrait.jpg", "grabcut", None, "2000,2000,2100,2100", "", "transparent", "#fff", None)
    with pytest.raises(gr.Error, match="background image"):
        hp.cutout(None, "assets/portrait.jpg", "grabcut", None, "", "", "image", "#fff", None)


def test_edits_do_not_pile_up_files(session):
    for _ in range(6):
        h.remove_islands(session, 10)
    files = sorted(p.name for p in session.folder.iterdir())
    assert len(files) <= 5   # the photo, and the last two layers and overlays
    export = h.export(session, "COCO JSON")
    assert export.startswith(str(session.folder))   # removed with the session
    h.cleanup(session)
    assert not session.folder.exists()
