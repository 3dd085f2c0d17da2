"""The ONNX Runtime backend: same labels as torch on real photos, exported once and cached,
a tampered cache rebuilt, the default on a CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import run_cli
from segcore import ModelError, load_image, load_model
from segcore.models.onnx_cache import cache_paths

pytest.importorskip("onnxruntime")


def photos(shared_data, n=3):
    return [load_image(p) for p in sorted((shared_data / "camvid-20" / "images").glob("*.png"))[:n]] + \
        [load_image(p) for p in sorted((shared_data / "people-40" / "images").glob("*.jpg"))[:n]]


@pytest.mark.parametrize("name", ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"])
def test_onnxruntime_agrees_with_torch_on_real_photos(name, checkpoints, shared_data):
    ckpt = checkpoints(name)
    ort = load_model(name, weights=ckpt)                 # the default on a CPU
    ref = load_model(name, weights=ckpt, backend="torch")
    assert ort.backend == "onnxruntime" and ref.backend == "torch"
    agree, classes = [], set()
    for rgb in photos(shared_data):
        a, b = ort.predict(rgb).labels, ref.predict(rgb).labels
        agree.append((a == b).mean())
        classes |= set(np.unique(b).tolist())
    assert len(classes) >= 3, "the test net must predict several classes"
    assert min(agree) >= 0.999, agree


def test_the_cache_is_reused_and_a_tampered_one_rebuilt(checkpoints, tmp_path):
    import shutil

    ckpt = tmp_path / "lraspp.pth"
    shutil.copy(checkpoints("lraspp_mobilenet_v3_large"), ckpt)
    first = load_model("lraspp_mobilenet_v3_large", weights=ckpt)
    assert first._ort.rebuilt
    onnx, sidecar = cache_paths(ckpt, "lraspp_mobilenet_v3_large")[""]
    assert onnx.is_file() and onnx.parent == tmp_path
    assert not load_model("lraspp_mobilenet_v3_large", weights=ckpt)._ort.rebuilt    # a second run starts fast
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onnx.write_bytes(bytes(data))
    again = load_model("lraspp_mobilenet_v3_large", weights=ckpt)
    assert again._ort.rebuilt
    x = np.random.default_rng(0).integers(0, 255, (90, 120, 3)).astype(np.uint8)
    assert (again.predict(x).labels == first.predict(x).labels).all()
    # another checkpoint (other bytes) gets its own file
    torch.manual_seed(1)
    state = torch.load(ckpt, weights_only=True)
    state = {k: v + 0.01 if v.is_floating_point() else v for k, v in state.items()}
    torch.save(state, tmp_path / "other.pth")
    assert cache_paths(tmp_path / "other.pth", "lraspp_mobilenet_v3_large")[""][0] != onnx


def test_unet_binary_head_through_onnx(tmp_path):
    from segcore.models.nets import UNet

    torch.manual_seed(0)
    p = tmp_path / "unet.pth"
    net = UNet(3, 1, 32)
    torch.nn.init.normal_(net.conv.weight, std=2.0)
    torch.save(net.state_dict(), p)
    x = (np.random.default_rng(1).random((101, 77, 3)) * 255).astype(np.uint8)
    a = load_model("unet", weights=p).predict(x)
    b = load_model("unet", weights=p, backend="torch").predict(x)
    assert a.shape == (101, 77) and (a.labels == b.labels).mean() >= 0.999


def test_backend_errors_are_one_line():
    with pytest.raises(ModelError, match="unknown backend"):
        load_model("unet", backend="tensorrt")


def test_cli_backend_flag(checkpoints, tmp_path, shared_data):
    img = sorted((shared_data / "camvid-20" / "images").glob("*.png"))[0]
    outs = {}
    for backend in ("torch", "onnxruntime"):
        r = run_cli("predict", str(img), "--model", "lraspp_mobilenet_v3_large", "--weights",
                    str(checkpoints("lraspp_mobilenet_v3_large")), "--backend", backend, "--out", str(tmp_path / backend))
        assert r.returncode == 0, r.stderr
        from PIL import Image
        outs[backend] = np.asarray(Image.open(tmp_path / backend / img.name))
    assert (outs["torch"] == outs["onnxruntime"]).mean() >= 0.999
