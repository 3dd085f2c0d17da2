"""The inference pipeline and the ``predict`` CLI, against torchvision's reference recipe."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

from conftest import run_cli, textured_image
from segcore.models.registry import load_model

CHECKED = ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", "fcn_resnet50"]


def reference(name: str, ckpt, rgb: np.ndarray) -> np.ndarray:
    """weights.transforms() on the image, forward, bilinear upsampling of out, argmax."""
    net = torchvision.models.get_model(name, weights=None, weights_backbone=None, num_classes=21)
    net.load_state_dict(torch.load(ckpt, weights_only=True))
    x = torchvision.models.get_model_weights(name).DEFAULT.transforms()(Image.fromarray(rgb))[None]
    with torch.no_grad():
        out = net.eval()(x)["out"]
    return F.interpolate(out, size=rgb.shape[:2], mode="bilinear", align_corners=False).argmax(1)[0].numpy()


@pytest.mark.parametrize("name", CHECKED)
def test_cli_predict_agrees_with_torchvision(name, checkpoints, tmp_path):
    rgb = textured_image(300, 410, seed=3)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    r = run_cli("predict", str(tmp_path / "photo.png"), "--model", name,
                "--weights", str(checkpoints(name)), "--out", str(tmp_path / "out"), "--overlay")
    assert r.returncode == 0, r.stderr
    out = Image.open(tmp_path / "out" / "photo.png")
    assert out.mode == "P" and out.size == (410, 300)
    assert out.getpalette()[15 * 3:15 * 3 + 3] == [192, 128, 128]
    labels = np.asarray(out)
    ref = reference(name, checkpoints(name), rgb)
    assert np.unique(ref).size >= 3, "the test net must predict several classes"
    assert (labels == ref).mean() >= 0.99
    assert Image.open(tmp_path / "out" / "photo_overlay.png").size == (410, 300)


def test_batch_equals_single_and_confidence(checkpoints, tmp_path):
    """The batched path of many files (what `segcore predict` runs: same-size images through the
    net together) gives each image's own prediction."""
    from segcore.models.batch import predict_files

    model = load_model("lraspp_mobilenet_v3_large", weights=checkpoints("lraspp_mobilenet_v3_large"))
    images = [textured_image(120, 160, seed=s) for s in range(3)] + [textured_image(90, 200, seed=9)]
    files = []
    for k, im in enumerate(images):
        files.append(tmp_path / f"im{k}.png")
        Image.fromarray(im).save(files[-1])
    got = {}
    results = list(predict_files(model, files, tmp_path / "out", batch_size=4,
                                 write=lambda path, rgb, seg: got.__setitem__(str(path), seg)))
    assert [r.error for r in results] == [None] * 4
    for f, im in zip(files, images):
        seg = got[str(f)]
        single = model.predict(im)
        assert (single.labels == seg.labels).mean() > 0.999
        assert seg.confidence.shape == im.shape[:2]
        assert (seg.confidence > 1 / 21 - 1e-6).all() and (seg.confidence <= 1 + 1e-6).all()


def test_scale_runs_windows_and_keeps_size(checkpoints):
    model = load_model("lraspp_mobilenet_v3_large", weights=checkpoints("lraspp_mobilenet_v3_large"))
    rgb = textured_image(200, 300, seed=5)
    fine = model.predict(rgb, scale=800)     # 800x1200: several 520 windows
    assert fine.shape == (200, 300)
    # At a scale where the image fits one window, tiling changes nothing.
    x = model.preprocess(rgb, scale=300)
    assert max(x.shape[-2:]) <= 520
    untiled = model.forward(x)[0]
    torch.testing.assert_close(model.logits(rgb, scale=300), untiled)


def test_unet_binary_and_padding(tmp_path):
    from segcore.models.nets import UNet

    torch.manual_seed(0)
    p = tmp_path / "unet.pth"
    torch.save(UNet(3, 1, 32).state_dict(), p)
    model = load_model("unet", weights=p)
    seg = model.predict(textured_image(101, 77))
    assert seg.shape == (101, 77) and set(np.unique(seg.labels)) <= {0, 1}
    assert seg.label_set.names == ("background", "person")


def test_grabcut_on_the_sample_portrait():
    from segcore.image import load

    seg = load_model("grabcut").predict("assets/portrait.jpg")
    truth = load("assets/portrait_mask.png")[..., 0] > 127
    pred = seg.labels == 1
    iou = (pred & truth).sum() / (pred | truth).sum()
    assert iou > 0.7


def test_cli_bad_inputs_give_one_error_line(tmp_path, checkpoints):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("hello")
    good = tmp_path / "good.png"
    Image.fromarray(textured_image(20, 30)).save(good)
    (tmp_path / "cut.jpg").write_bytes(good.read_bytes()[:60])
    for bad in ("empty.png", "text.png", "cut.jpg", "missing.png"):
        r = run_cli("predict", str(tmp_path / bad), "--model", "grabcut", "--out", str(tmp_path / "o"))
        assert r.returncode == 1, (bad, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.stderr
    r = run_cli("predict", str(good), "--model", "deeplabv3_resnet101", "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "deeplabv3_resnet101_coco-586e9e4e.pth" in r.stderr
    r = run_cli("predict", str(good), "--model", "nope", "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and r.stderr.startswith("error: unknown model")
    r = run_cli("predict", str(good), "--model", "fcn_resnet50", "--weights", str(tmp_path / "text.png"),
                "--out", str(tmp_path / "o"))
    assert r.returncode == 1 and "not a readable PyTorch checkpoint" in r.stderr
    assert run_cli("predict", "--model", "grabcut").returncode == 2  # usage error


def test_cli_keeps_previous_output(tmp_path):
    good = tmp_path / "p.png"
    Image.fromarray(textured_image(20, 30)).save(good)
    for _ in range(2):
        assert run_cli("predict", str(good), "--out", str(tmp_path / "o")).returncode == 0
    assert (tmp_path / "o" / "p.png.bak").is_file()


def test_cli_models_lists_offline():
    r = run_cli("models")
    assert r.returncode == 0
    assert "lraspp_mobilenet_v3_large" in r.stdout and "MISSING" in r.stdout and "grabcut" in r.stdout
