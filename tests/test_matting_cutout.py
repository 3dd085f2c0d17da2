import numpy as np
import pytest
from PIL import Image

from conftest import run_cli
from segcore.portrait.cutout import composite, cut, cutout, person_mask
from segcore.errors import PromptError
from segcore.image import load
from segcore.portrait.matting import band_width, guided_filter, matte, trimap


def soft_disc(size=120, r=35.0):
    """A disc with a soft 6-px edge on a background of another colour, and its true alpha."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    d = np.hypot(yy - size / 2, xx - size / 2)
    alpha = np.clip((r + 3 - d) / 6, 0, 1)
    fg, bg = np.array([220, 60, 40], np.float32), np.array([40, 120, 220], np.float32)
    rgb = (alpha[..., None] * fg + (1 - alpha[..., None]) * bg + 0.5).astype(np.uint8)
    return rgb, alpha


def test_trimap_band_scales_with_image():
    assert band_width((100, 100)) == 2 and band_width((4000, 6000)) == 72
    m = np.zeros((50, 50), bool)
    m[10:40, 10:40] = True
    t = trimap(m, band=3)
    assert set(np.unique(t)) == {0, 128, 255}
    assert t[25, 25] == 255 and t[0, 0] == 0 and t[10, 25] == 128


@pytest.mark.parametrize("solver", ["guided", "closed_form"])
def test_matte_recovers_a_soft_edge(solver):
    rgb, truth = soft_disc()
    hard = truth >= 0.5
    alpha = matte(rgb, trimap(hard, band=6), solver)
    band = (truth > 0.02) & (truth < 0.98)
    assert np.abs(alpha - truth)[band].mean() < 0.15
    soft = (alpha > 0.05) & (alpha < 0.95)
    assert soft.sum() > 0.5 * band.sum()          # a soft edge, not a hard 0/255 cut
    assert alpha[60, 60] == 1.0 and alpha[0, 0] == 0.0


def test_guided_filter_keeps_a_constant():
    g = np.random.default_rng(0).random((30, 30, 3)).astype(np.float32)
    out = guided_filter(g, np.full((30, 30), 0.7, np.float32), 3, 1e-3)
    np.testing.assert_allclose(out, 0.7, atol=1e-4)


def test_foreground_colour_loses_the_old_background():
    rgb, truth = soft_disc()
    c = cut(rgb, truth >= 0.5)
    edge = (c.alpha > 0.2) & (c.alpha < 0.8)
    # the photo's edge pixels are mixed with blue; the estimated foreground is much less blue
    assert c.foreground[edge][:, 2].mean() < rgb[edge][:, 2].mean() - 40


def test_backgrounds(tmp_path):
    rgb, truth = soft_disc()
    c = cut(rgb, truth >= 0.5)
    rgba = composite(c, "transparent")
    assert rgba.shape == (120, 120, 4) and rgba[60, 60, 3] == 255 and rgba[0, 0, 3] == 0
    green = composite(c, "#00ff00")
    assert tuple(green[0, 0]) == (0, 255, 0) and green[60, 60, 1] < 100
    assert composite(c, "blur", photo=rgb).shape == (120, 120, 3)
    Image.fromarray(np.full((30, 90, 3), 200, np.uint8)).save(tmp_path / "wide.png")
    assert composite(c, tmp_path / "wide.png")[0, 0].tolist() == [200, 200, 200]
    with pytest.raises(PromptError, match="#RRGGBB"):
        composite(c, "#12")


@pytest.mark.slow
def test_person_mask_prompts():
    rgb = load("assets/portrait.jpg")
    truth = load("assets/portrait_mask.png")[..., 0] > 127
    ys, xs = np.nonzero(truth)
    box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    def iou(m):
        return (m & truth).sum() / (m | truth).sum()

    boxed = iou(person_mask(rgb, "grabcut", box=box))
    clicked = iou(person_mask(rgb, "grabcut", box=box, points=[(443, 477, False), (203, 499, False)]))
    assert boxed > 0.6 and clicked > boxed + 0.1   # two clicks on wall blobs fix most of the mask
    with pytest.raises(PromptError, match="outside"):
        person_mask(rgb, "grabcut", box=(700, 0, 800, 10))
    with pytest.raises(PromptError, match="empty"):
        person_mask(rgb, "grabcut", box=(10, 10, 10, 50))
    with pytest.raises(PromptError, match="off the 640x800 image"):
        person_mask(rgb, "grabcut", points=[(900, 5, True)])
    with pytest.raises(Exception, match="nope.pth does not exist"):
        person_mask(rgb, "fcn_resnet50", weights="nope.pth")


def test_cutout_cli(tmp_path):
    r = run_cli("cutout", "assets/portrait.jpg", "--box", "60,60,590,800", "--points", "320,300,1;20,20,0",
                "--out", str(tmp_path / "a.png"))
    assert r.returncode == 0, r.stderr
    a = np.asarray(Image.open(tmp_path / "a.png"))
    assert a.shape == (800, 640, 4) and a[300, 320, 3] == 255 and a[20, 20, 3] == 0
    assert ((a[..., 3] > 0) & (a[..., 3] < 255)).any()
    r = run_cli("cutout", "assets/portrait.jpg", "--background", "#3366ff", "--out", str(tmp_path / "b.png"))
    assert r.returncode == 0 and Image.open(tmp_path / "b.png").mode == "RGB"
    for bad in (["--box", "1,2,3"], ["--box", "2000,0,2100,50"], ["--points", "5,5,7"], ["--points", "9999,5,1"],
                ["--background", "#zz0000"]):
        r = run_cli("cutout", "assets/portrait.jpg", *bad, "--out", str(tmp_path / "c.png"))
        assert r.returncode == 1 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, bad


def test_cutout_function_is_the_cli_flow():
    out = cutout("assets/portrait.jpg", background="transparent")
    assert out.shape == (800, 640, 4)
