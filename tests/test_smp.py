"""DeepLabV3+, PSPNet and FPN from segmentation-models-pytorch: registered like the project's own
nets, trained by ``segcore train``, loaded by ``segcore predict`` with the dataset's classes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from camvid import CAMVID_CLASSES, camvid_voc, truth_of
from conftest import run_cli
from segcore import ModelError, load_model, open_dataset
from segcore.models.registry import get_model_spec, list_models
from segcore.models.zoo.smp import SMP_MODELS
from segcore.train import train
from test_train import CLASSES, colour_dataset


def test_entries_are_registered_beside_the_project_nets():
    assert {"deeplabv3plus_resnet18", "pspnet_resnet18", "fpn_resnet18"} <= set(list_models(family="smp"))
    for name in SMP_MODELS:
        spec = get_model_spec(name)
        assert spec.trainable and spec.published.url is None and spec.size_divisor == 32
        assert spec.tagged("backbone").file_name.startswith(name.split("_")[1])


@pytest.mark.parametrize("name", ["deeplabv3plus_resnet18", "pspnet_resnet18", "fpn_resnet18"])
def test_nets_give_logits_at_the_input_size_and_count_their_parameters(name):
    spec = get_model_spec(name)
    net = spec.net(21).eval()
    assert sum(p.numel() for p in net.parameters()) == spec.meta("num_params")
    with torch.no_grad():
        assert net(torch.zeros(1, 3, 64, 96))["out"].shape == (1, 21, 64, 96)


@pytest.mark.slow
def test_imagenet_encoder_weights_come_from_the_cache(tmp_path, monkeypatch):
    """torchvision's ResNet-18 file in the hub cache starts the encoder; no download."""
    import torchvision

    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "home" / "hub"))
    cache = tmp_path / "home" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.manual_seed(1)
    resnet = torchvision.models.resnet18(weights=None)
    torch.save(resnet.state_dict(), cache / "resnet18-f37072fd.pth")
    ds = colour_dataset(tmp_path / "d", n=4)
    r = train(ds, tmp_path / "f.pth", model="fpn_resnet18", epochs=1, size=64, batch_size=2, val_split=0, lr=1e-12)
    assert r.start.startswith("ImageNet backbone:") and "resnet18-f37072fd.pth" in r.start
    state = torch.load(r.best, weights_only=True)["state_dict"]
    assert torch.allclose(state["model.encoder.layer4.1.conv2.weight"], resnet.state_dict()["layer4.1.conv2.weight"],
                          atol=1e-6)
    other = train(ds, tmp_path / "g.pth", model="pspnet_resnet18", epochs=1, size=64, batch_size=2, val_split=0)
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "empty" / "hub"))
    none = train(ds, tmp_path / "h.pth", model="pspnet_resnet18", epochs=1, size=64, batch_size=2, val_split=0)
    assert other.start.startswith("ImageNet backbone") and none.start.startswith("random initialisation")


def test_a_trained_pspnet_runs_on_torch_and_refuses_onnx(tmp_path):
    ds = colour_dataset(tmp_path / "d", n=4)
    r = train(ds, tmp_path / "p.pth", model="pspnet_resnet18", epochs=1, size=64, batch_size=2, val_split=0)
    model = load_model("pspnet_resnet18", weights=r.best)
    assert model.backend == "torch"
    seg = model.predict(ds.read_image(0))
    assert seg.label_set.names == CLASSES and seg.labels.shape == (64, 80) and seg.confidence is not None
    with pytest.raises(ModelError, match="does not export to ONNX"):
        load_model("pspnet_resnet18", weights=r.best, backend="onnxruntime")


@pytest.mark.parametrize("name", ["deeplabv3plus_resnet18", "pspnet_resnet18"])
def test_train_and_predict_cli_on_camvid(name, shared_data, tmp_path):
    """``segcore train --model NAME`` on camvid-20 (scaled down), then ``segcore predict``
    writes labels.txt with CamVid's class names."""
    root = camvid_voc(shared_data / "camvid-20", tmp_path / "cv", size=(160, 120))
    ds = open_dataset(root)
    for i in range(4):
        ds.write_labels(i, truth_of(root, ds.names[i]), status="reviewed")
    out = tmp_path / f"{name}.pth"
    r = run_cli("train", str(root), "--model", name, "--out", str(out), "--epochs", "1", "--size", "64",
                "--batch-size", "2", "--val-split", "0.25")
    assert r.returncode == 0, r.stderr
    assert out.is_file() and "epoch 1:" in r.stdout and "mIoU" in r.stdout
    image = root / "JPEGImages" / f"{ds.names[10]}.png"
    r = run_cli("predict", str(image), "--model", name, "--weights", str(out), "--out", str(tmp_path / "pred"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "pred" / "labels.txt").read_text().split("\n")[:11] == list(CAMVID_CLASSES)
    from PIL import Image

    pred = np.asarray(Image.open(tmp_path / "pred" / f"{ds.names[10]}.png"))
    assert pred.shape == (120, 160) and pred.max() < len(CAMVID_CLASSES)
