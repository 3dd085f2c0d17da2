"""Training: the loss falls on a learnable set, checkpoints carry their classes and load with
weights_only, runs are seeded, Ctrl+C keeps the work and --resume goes on."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import run_cli
from segcore import WeightsError, load_model, open_dataset
from segcore.labels import LabelSet, voc_colormap
from segcore.models.nets import FCNResNet18
from segcore.models.weights import load_state, read_checkpoint, read_state_dict
from segcore.train import train

CLASSES = ("background", "red thing", "green thing")


def colour_dataset(folder, n=6, h=64, w=80, classes=CLASSES):
    """Labels follow colour: a red patch is class 1, a green one class 2 (learnable in a few
    epochs); some void at the border."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for k in range(n):
        img = (rng.random((h, w, 3)) * 60 + 90).astype(np.uint8)
        lab = np.zeros((h, w), np.uint8)
        for cls, colour in ((1, (220, 30, 30)), (2, (30, 200, 40))):
            if cls >= len(classes):
                continue
            y, x = rng.integers(0, h - 24), rng.integers(0, w - 24)
            img[y:y + 20, x:x + 22] = colour
            lab[y:y + 20, x:x + 22] = cls
        lab[:, :2] = 255
        Image.fromarray(img).save(folder / f"im{k}.png")
        (folder / "SegmentationClass").mkdir(exist_ok=True)
        png = Image.fromarray(lab, mode="P")
        png.putpalette(voc_colormap().ravel().tolist())   # without one, Pillow keeps values 0/1 only
        png.save(folder / "SegmentationClass" / f"im{k}.png")
    (folder / "labels.txt").write_text("\n".join(classes) + "\n")
    return open_dataset(folder)


def test_unet_learns_and_its_checkpoint_carries_the_classes(tmp_path):
    ds = colour_dataset(tmp_path / "d")
    out = tmp_path / "unet.pth"
    r = train(ds, out, model="unet", epochs=8, size=64, batch_size=2, val_split=0.34, seed=0)
    losses = [h["loss"] for h in r.history]
    assert min(losses[-3:]) < 0.8 * losses[0]
    assert r.best == out and out.is_file() and r.last.is_file()
    obj = torch.load(out, weights_only=True)              # tensors and plain types only
    assert obj["label_set"]["names"] == list(CLASSES) and obj["input_size"] == 64
    assert obj["model"] == "unet" and "miou" in obj["val"] and obj["segcore_version"]
    model = load_model("unet", weights=out)
    seg = model.predict(ds.read_image(0))
    assert seg.label_set.names == CLASSES and seg.labels.shape == (64, 80)
    assert seg.label_set.colors == LabelSet(CLASSES).colors


def test_runs_are_seeded(tmp_path):
    ds = colour_dataset(tmp_path / "d", n=4)
    a = train(ds, tmp_path / "a.pth", model="unet", epochs=1, size=32, batch_size=2, seed=3)
    b = train(ds, tmp_path / "b.pth", model="unet", epochs=1, size=32, batch_size=2, seed=3)
    sa, sb = read_state_dict(a.last), read_state_dict(b.last)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_two_classes_keep_the_single_sigmoid_logit(tmp_path):
    ds = colour_dataset(tmp_path / "d", n=4, classes=("background", "person"))
    r = train(ds, tmp_path / "p.pth", model="unet", epochs=1, size=32, batch_size=2, val_split=0)
    state, meta = read_checkpoint(r.best)
    assert state["conv.weight"].shape[0] == 1 and meta["label_set"]["names"] == ["background", "person"]
    assert load_model("unet", weights=r.best).predict(ds.read_image(0)).labels.max() <= 1


def test_ctrl_c_keeps_the_work_and_resume_goes_on(tmp_path):
    ds = colour_dataset(tmp_path / "d", n=4)
    out = tmp_path / "f.pth"

    def stop_in_second_epoch(epoch, step, steps, loss):
        if epoch == 1:
            raise KeyboardInterrupt

    r = train(ds, out, model="fcn_resnet18", epochs=3, size=32, batch_size=2, val_split=0.25,
              on_batch=stop_in_second_epoch)
    assert r.interrupted and r.epochs_done == 1
    assert read_checkpoint(r.last)[1]["epochs"] == 1
    r2 = train(ds, out, model="fcn_resnet18", epochs=3, size=32, batch_size=2, val_split=0.25, resume=r.last)
    assert r2.epochs_done == 3 and [h["epoch"] for h in r2.history] == [1, 2, 3]


def test_a_checkpoint_for_other_classes_loads_all_but_the_head(tmp_path):
    ds = colour_dataset(tmp_path / "d", n=4)
    r = train(ds, tmp_path / "f.pth", model="fcn_resnet18", epochs=1, size=32, batch_size=2, val_split=0)
    report = load_state(FCNResNet18(21), read_state_dict(r.best), source="f.pth")
    assert report.loaded > 50 and sorted(report.mismatched) == ["classifier.bias", "classifier.weight",
                                                                 "upsample.weight"]
    assert "skipped 3 of another shape" in report.summary()
    with pytest.raises(WeightsError, match="trained for model fcn_resnet18"):
        load_model("unet", weights=r.best)


def test_foreign_or_broken_files_are_one_clear_error(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x00garbage" * 50)
    with pytest.raises(WeightsError, match="not a readable PyTorch checkpoint"):
        load_model("unet", weights=junk)
    other = tmp_path / "other.pth"
    torch.save({"whatever": [1, 2, 3]}, other)
    with pytest.raises(WeightsError, match="no state dict"):
        load_model("unet", weights=other)


def test_train_and_predict_cli(tmp_path):
    colour_dataset(tmp_path / "d", n=4)
    r = run_cli("train", str(tmp_path / "d"), "--model", "unet", "--out", str(tmp_path / "u.pth"),
                "--epochs", "2", "--size", "32", "--batch-size", "2", "--val-split", "0.25")
    assert r.returncode == 0, r.stderr
    assert "epoch 2:" in r.stdout and "mIoU" in r.stdout
    r = run_cli("predict", str(tmp_path / "d" / "im0.png"), "--model", "unet", "--weights",
                str(tmp_path / "u.pth"), "--out", str(tmp_path / "pred"), "--overlay")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "pred" / "labels.txt").read_text().split("\n")[:3] == list(CLASSES)
    assert (tmp_path / "pred" / "im0_legend.png").is_file()
    r = run_cli("prelabel", str(tmp_path / "d"), "--model", "unet", "--weights", str(tmp_path / "u.pth"),
                "--overwrite", "predicted")
    assert r.returncode == 0, r.stderr
    r = run_cli("train", str(tmp_path / "d"), "--model", "grabcut", "--out", str(tmp_path / "g.pth"))
    assert r.returncode == 1 and "no torch network" in r.stderr
