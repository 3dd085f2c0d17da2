"""Big photos: the fast JPEG decode gives Pillow's pixels and rotation; the canvas gets a
smaller photo and mask first and both at full resolution when zoomed in; edits stay exact."""

import base64
import io

import cv2
import numpy as np
from PIL import Image

from conftest import textured_image


def test_the_fast_jpeg_decode_is_pillows_with_its_rotation(tmp_path):
    from PIL import ImageOps

    from segcore.image import FAST_JPEG_PIXELS, load

    rgb = cv2.resize(textured_image(200, 250, seed=1), (2500, 2000))
    assert 2500 * 2000 >= FAST_JPEG_PIXELS
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6                                  # rotated 90 degrees
    im.save(tmp_path / "p.jpg", exif=exif, quality=90)
    fast = load(tmp_path / "p.jpg")
    slow = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "p.jpg")).convert("RGB"))
    assert fast.shape == (2500, 2000, 3) and np.array_equal(fast, slow)


def test_a_big_photo_comes_small_first_then_whole(tmp_path):
    from demo import views, workspace as hw
    from demo.actions import action
    from demo.session import new_session, photo_response, serve

    folder = tmp_path / "big"
    folder.mkdir()
    rgb = cv2.resize(textured_image(150, 200, seed=2), (4000, 3000))
    Image.fromarray(rgb).save(folder / "big.png")
    (folder / "labels.txt").write_text("background\ncar\n")
    app = new_session(serve(folder))
    value = views.canvas_value(app)
    assert (value["w"], value["h"]) == (4000, 3000) and value["photo_scale"] == 0.64
    mask = Image.open(io.BytesIO(base64.b64decode(value["mask"].split(",")[1])))
    assert mask.size == (2560, 1920) and not value["full_mask"]
    key, name = value["photo"].split("/")[3:5]
    assert Image.open(io.BytesIO(photo_response(key, name).body)).size == (2560, 1920)
    full = value["photo_full"].split("/")[4]
    assert Image.open(io.BytesIO(photo_response(key, full).body)).size == (4000, 3000)
    # Zoomed in: the page asks for the whole mask; a 1-pixel stroke lands exactly.
    value = action()(hw.apply_edit)(app, {"full_mask": True, "pending": [{"points": [[3999, 0], [3999, 2999]], "radius": 0,
                                                                  "cls": 1}]})[1]
    mask = Image.open(io.BytesIO(base64.b64decode(value["mask"].split(",")[1])))
    assert mask.size == (4000, 3000) and value["full_mask"]
    labels = app.workspace.session.labels
    assert labels[:, 3999].tolist() == [1] * 3000 and (labels == 1).sum() == 3000
