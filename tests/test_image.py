import io

import numpy as np
import pytest
from PIL import Image

from segcore.errors import ImageError
from segcore.image import load


def _png(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


def test_path_bytes_fileobj_pil_array_agree(tmp_path):
    rgb = (np.arange(6 * 8 * 3) % 256).astype(np.uint8).reshape(6, 8, 3)
    p = tmp_path / "a.png"
    Image.fromarray(rgb).save(p)
    for src in (p, str(p), p.read_bytes(), open(p, "rb"), Image.fromarray(rgb), rgb):
        out = load(src)
        assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
        np.testing.assert_array_equal(out, rgb)


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    im.paste((0, 0, 255), (0, 0, 10, 20))  # blue on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to view
    out = load(_png(im, format="JPEG", exif=exif.tobytes(), quality=95))
    assert out.shape == (40, 20, 3)
    assert out[2, 10, 2] > 200 and out[-3, 10, 0] > 200  # blue now on top, red below


@pytest.mark.parametrize("mode", ["L", "1", "CMYK", "YCbCr", "I;16", "I", "F", "LA", "RGBA", "P"])
def test_modes_become_rgb(mode):
    base = Image.new("RGB", (9, 7), (10, 200, 30))
    if mode == "I;16":
        im = Image.fromarray(np.full((7, 9), 40000, np.uint16))
    elif mode == "F":
        im = Image.fromarray(np.full((7, 9), 0.5, np.float32))
    else:
        im = base.convert(mode)
    out = load(im)
    assert out.shape == (7, 9, 3) and out.dtype == np.uint8
    if mode == "I;16":
        assert out[0, 0, 0] == 40000 // 257
    if mode == "F":
        assert out[0, 0, 0] == 128


def test_transparency_is_composited_over_white():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:2, :, 3] = 255  # top half opaque red, bottom transparent
    out = load(Image.fromarray(rgba, "RGBA"))
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[3, 0]) == (255, 255, 255)
    pal = Image.fromarray(rgba, "RGBA").convert("P")
    pal.info["transparency"] = 0
    assert load(pal).shape == (4, 4, 3)


def test_one_pixel_image_works():
    assert load(_png(Image.new("RGB", (1, 1), (1, 2, 3)))).tolist() == [[[1, 2, 3]]]


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"hello, I am text\n", "not an image"),
])
def test_bad_files_raise_one_line(tmp_path, content, words):
    p = tmp_path / "x.png"
    p.write_bytes(content)
    with pytest.raises(ImageError) as e:
        load(p)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_truncated_jpeg_raises(tmp_path):
    data = _png(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)), format="JPEG")
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        load(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="folder"):
        load(tmp_path)


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    p = tmp_path / "big.png"
    Image.new("L", (3000, 2000)).save(p)
    with pytest.raises(ImageError, match="over the limit"):
        load(p, max_pixels=1_000_000)
    assert load(p, max_pixels=None).shape == (2000, 3000, 3)


def test_array_dtypes():
    assert load(np.ones((3, 3), bool))[0, 0, 0] == 255
    assert load(np.full((3, 3, 3), 1.0, np.float32))[0, 0, 0] == 255
    assert load(np.full((3, 3, 1), 7, np.uint8)).shape == (3, 3, 3)
    with pytest.raises(ImageError):
        load(np.zeros((3, 3, 5), np.uint8))


def test_image_size_reads_the_header_like_load(tmp_path):
    from segcore.image import image_size

    im = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    p = tmp_path / "r.jpg"
    p.write_bytes(_png(im, format="JPEG", exif=exif.tobytes()))
    assert image_size(p) == load(p).shape[:2] == (40, 20)
    (tmp_path / "t.png").write_text("text")
    with pytest.raises(ImageError):
        image_size(tmp_path / "t.png")
