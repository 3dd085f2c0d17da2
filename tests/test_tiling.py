import numpy as np
import torch
import torch.nn.functional as F

from segcore.models.tiling import sliding_window_logits, upsample_argmax, window_starts


def test_banded_upsampling_equals_interpolate():
    torch.manual_seed(0)
    logits = torch.randn(21, 13, 17)
    ref = F.interpolate(logits[None], size=(131, 97), mode="bilinear", align_corners=False)[0]
    for band in (4 * 21 * 97 * 3, 10**9):  # 3-row bands and one band
        labels, conf = upsample_argmax(logits, (131, 97), band_bytes=band)
        assert labels.shape == (131, 97) and labels.dtype == np.uint8
        assert (labels == ref.argmax(0).numpy()).mean() > 0.999
        np.testing.assert_allclose(conf, ref.softmax(0).max(0).values.numpy(), atol=1e-5)


def test_window_starts_cover_everything():
    for length, win, stride in [(10, 4, 3), (520, 520, 347), (1000, 520, 347), (3, 5, 2)]:
        starts = window_starts(length, win, stride)
        covered = np.zeros(length, bool)
        for s in starts:
            covered[s:s + win] = True
        assert covered.all() and starts[-1] + min(win, length) == length


def test_sliding_window_matches_untiled_for_a_pointwise_net():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 1)
    x = torch.randn(1, 3, 70, 90)
    with torch.no_grad():
        ref = conv(x)[0]
        tiled = sliding_window_logits(x, conv, window=32)
        single = sliding_window_logits(x, conv, window=128)
    torch.testing.assert_close(tiled, ref, atol=1e-5, rtol=1e-5)
    assert torch.equal(single, ref)  # one window: exactly the untiled forward
