import time

import pytest

from segcore.errors import ModelError, WeightsError
from segcore.models.registry import META_KEYS, ModelSpec, get_model_spec, list_models, load_model, register_model
from segcore.models.zoo.torchvision import TORCHVISION_MODELS


def test_registry_lists_every_model():
    names = list_models()
    assert set(TORCHVISION_MODELS) <= set(names)
    assert {"unet", "fcn_resnet18", "grabcut"} <= set(names)
    assert list_models(family="opencv") == ["grabcut"]


@pytest.mark.parametrize("name", list_models())
def test_entry_is_complete(name):
    spec = get_model_spec(name)
    assert spec.name == name and len(spec.label_set) >= 2 and spec.can
    if spec.published is None:
        return
    assert set(spec.published.meta) <= META_KEYS
    if spec.family == "mediapipe":   # preprocesses itself; its published file has a checksum
        assert spec.published.url.startswith("https://") and len(spec.published.sha256) == 64
        return
    preset = spec.published.preprocessing()
    assert preset.resize_size and list(preset.mean) == [0.485, 0.456, 0.406]
    if spec.family == "torchvision":
        assert spec.published.meta["categories"][1:] == list(spec.label_set.names[1:])
        assert spec.meta("miou") > 50 and spec.meta("pixel_acc") > 90


@pytest.mark.parametrize("name", ["unet", "fcn_resnet18", "lraspp_mobilenet_v3_large"])
def test_param_count_matches_a_recount(name):
    import torchvision

    from segcore.models.nets import FCNResNet18, UNet

    net = {"unet": lambda: UNet(3, 1, 32), "fcn_resnet18": lambda: FCNResNet18(21)}.get(
        name, lambda: torchvision.models.get_model(name, weights=None, weights_backbone=None,
                                                   num_classes=21, aux_loss=False))()
    assert sum(p.numel() for p in net.parameters()) == get_model_spec(name).meta("num_params")


def test_duplicate_name_is_refused():
    spec = get_model_spec("grabcut")
    with pytest.raises(ValueError, match="already registered"):
        register_model(ModelSpec("grabcut", "x", {"segment"}, spec.label_set, "", spec.builder))


def test_unknown_model():
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        get_model_spec("nope")


def test_missing_weights_fail_fast_and_say_where(monkeypatch):
    t = time.perf_counter()
    with pytest.raises(WeightsError) as e:
        load_model("deeplabv3_resnet50")
    assert time.perf_counter() - t < 30  # no hang: the error comes at once
    msg = str(e.value)
    assert "deeplabv3_resnet50_coco-cd0a2569.pth" in msg and "hub/checkpoints" in msg


def test_download_refused_offline_names_file(monkeypatch):
    monkeypatch.delenv("SEGCORE_OFFLINE")
    with pytest.raises(WeightsError, match="lraspp_mobilenet_v3_large-d234d4ea.pth"):
        load_model("lraspp_mobilenet_v3_large", offline=True)


def test_weights_from_hub_cache(checkpoints, tmp_path, monkeypatch):
    import shutil

    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    dst = tmp_path / "hub" / "checkpoints" / get_model_spec("lraspp_mobilenet_v3_large").published.file_name
    dst.parent.mkdir(parents=True)
    shutil.copy(checkpoints("lraspp_mobilenet_v3_large"), dst)
    assert torch.hub.get_dir().startswith(str(tmp_path))
    assert get_model_spec("lraspp_mobilenet_v3_large").weights_available()
    model = load_model("lraspp_mobilenet_v3_large")
    assert model.report.complete and str(dst) in model.report.source


def test_grabcut_takes_no_weights():
    assert get_model_spec("grabcut").weights_available()
    with pytest.raises(ModelError, match="takes no weights"):
        load_model("grabcut", weights="x.pth")


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_torchvision_facts_match_torchvision(name):
    """The zoo writes torchvision's figures out (so listing models needs no torch): they must
    be torchvision's own, preset included."""
    import torchvision

    w = torchvision.models.get_model_weights(name).COCO_WITH_VOC_LABELS_V1
    spec = get_model_spec(name)
    metrics = w.meta["_metrics"]["COCO-val2017-VOC-labels"]
    assert spec.published.url == w.url and spec.published.file_name == w.url.rsplit("/", 1)[1]
    assert (spec.meta("num_params"), spec.meta("miou"), spec.meta("pixel_acc"), spec.meta("gflops"),
            spec.meta("file_size_mb")) == (w.meta["num_params"], metrics["miou"], metrics["pixel_acc"],
                                           w.meta["_ops"], w.meta["_file_size"])
    assert spec.meta("categories") == list(w.meta["categories"])
    ours, theirs = spec.published.preprocessing(), w.transforms()
    assert (ours.resize_size, ours.mean, ours.std) == (theirs.resize_size, theirs.mean, theirs.std)


def test_listing_models_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, segcore; segcore.list_models(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
