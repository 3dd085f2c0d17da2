import torch
import torch.nn.functional as F

from segcore.models.nets import FCNResNet18, UNet


def test_fcn_resnet18_upsampling_is_bilinear():
    net = FCNResNet18(21)
    x = torch.randn(1, 21, 6, 7)
    up = net.upsample(x)
    assert up.shape[-2:] == (6 * 32, 7 * 32)
    ref = F.interpolate(x, scale_factor=32, mode="bilinear", align_corners=False)
    # Away from the border (where the transposed conv sees zero padding) they are equal.
    torch.testing.assert_close(up[..., 32:-32, 32:-32], ref[..., 32:-32, 32:-32], atol=1e-5, rtol=1e-5)
    # and the layer mixes no classes: channel 3 of the output depends on channel 3 only
    x2 = x.clone()
    x2[:, 4] += 10
    assert torch.equal(net.upsample(x2)[:, 3], up[:, 3])


def test_fcn_resnet18_output_matches_any_input_size():
    net = FCNResNet18(21).eval()
    with torch.no_grad():
        assert net(torch.randn(1, 3, 100, 75))["out"].shape == (1, 21, 100, 75)


def test_unet_shapes():
    net = UNet(3, 1, 32).eval()
    with torch.no_grad():
        assert net(torch.randn(2, 3, 64, 48))["out"].shape == (2, 1, 64, 48)
    assert "encoder1.enc1conv1.weight" in net.state_dict()
