"""A training's curve as a small PNG: loss and validation mIoU per epoch."""

from __future__ import annotations

from ..plots import _figure_png, _plt

__all__ = ["curve_png"]


def curve_png(history: list[dict], width: float = 4.2, height: float = 2.2) -> bytes:
    """``history``: ``[{"epoch", "loss", "miou"?}, ...]`` -> PNG bytes (loss left axis, mIoU right)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width, height))
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["loss"] for h in history], color="#2563eb", lw=1.5, label="loss")
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("loss", fontsize=8, color="#2563eb")
    ax.tick_params(labelsize=7)
    val = [(h["epoch"], h["miou"]) for h in history if h.get("miou") is not None]
    if val:
        ax2 = ax.twinx()
        ax2.plot(*zip(*val), color="#16a34a", lw=1.5, marker="o", ms=2, label="val mIoU")
        ax2.set_ylim(0, max(0.1, min(1.0, max(m for _, m in val) * 1.2)))
        ax2.set_ylabel("val mIoU", fontsize=8, color="#16a34a")
        ax2.tick_params(labelsize=7)
    if not epochs:
        ax.text(0.5, 0.5, "first epoch running…", ha="center", va="center", transform=ax.transAxes, fontsize=8)
    return _figure_png(fig)
