import pytest
import torch

from segcore.errors import WeightsError
from segcore.models.nets import FCNResNet18
from segcore.models.weights import load_state, read_state_dict


def test_wrappers_and_module_prefix(tmp_path):
    net = FCNResNet18(21)
    sd = net.state_dict()
    for i, obj in enumerate([sd, {"state_dict": sd}, {"model": {"module." + k: v for k, v in sd.items()}}]):
        p = tmp_path / f"c{i}.pth"
        torch.save(obj, p)
        got = read_state_dict(p)
        assert set(got) == set(sd)
        rep = load_state(FCNResNet18(21), got, str(p))
        assert rep.complete and rep.loaded == len(sd)


def test_other_class_count_loads_all_but_the_head(tmp_path):
    src = FCNResNet18(2)
    p = tmp_path / "two.pth"
    torch.save(src.state_dict(), p)
    dst = FCNResNet18(21)
    rep = load_state(dst, read_state_dict(p), str(p))
    assert set(rep.mismatched) == {"classifier.weight", "classifier.bias", "upsample.weight"}
    assert "skipped 3 of another shape" in rep.summary()
    torch.testing.assert_close(dst.backbone[0].weight, src.backbone[0].weight)


def test_aux_head_is_ignored_and_foreign_file_refused(tmp_path):
    sd = FCNResNet18(21).state_dict()
    sd["aux_classifier.0.weight"] = torch.zeros(1)
    rep = load_state(FCNResNet18(21), sd, "x")
    assert rep.complete and rep.ignored == ["aux_classifier.0.weight"]
    with pytest.raises(WeightsError, match="does not fit"):
        load_state(FCNResNet18(21), {"foo.weight": torch.zeros(3)}, "other.pth")


def test_not_a_checkpoint(tmp_path):
    p = tmp_path / "bad.pth"
    p.write_text("not a checkpoint")
    with pytest.raises(WeightsError, match="not a readable PyTorch checkpoint"):
        read_state_dict(p)


def test_explicit_missing_file():
    from segcore.models import load_model

    with pytest.raises(WeightsError, match="does not exist"):
        load_model("fcn_resnet18", weights="/no/such/file.pth")
