"""Pictures of metrics as PNG: a confusion-matrix heatmap and a per-class IoU bar chart."""

from __future__ import annotations

import io

import numpy as np

from .metrics import ConfusionMatrix

__all__ = ["confusion_png", "iou_bars_png"]


def _figure_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def confusion_png(cm: ConfusionMatrix, names) -> bytes:
    """Row-normalised heatmap (share of each true class) over the classes present."""
    plt = _plt()
    keep = np.flatnonzero(cm.present())
    m = cm.matrix[np.ix_(keep, keep)].astype(np.float64)
    rows = m.sum(1, keepdims=True) + cm.unassigned[keep, None]
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    labels = [names[i] for i in keep]
    size = max(4.0, 0.45 * len(keep) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(keep)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(keep)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(keep)):
        for j in range(len(keep)):
            if share[i, j] >= 0.01:
                ax.text(j, i, f"{share[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title("confusion (rows sum to 1)")
    return _figure_png(fig)


def iou_bars_png(cm: ConfusionMatrix, names) -> bytes:
    plt = _plt()
    keep = np.flatnonzero(cm.present())
    iou = np.nan_to_num(cm.iou()[keep])
    fig, ax = plt.subplots(figsize=(max(4.0, 0.4 * len(keep) + 2), 3.5))
    ax.bar(range(len(keep)), iou, color="#4c72b0")
    ax.set_xticks(range(len(keep)), [names[i] for i in keep], rotation=60, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("IoU")
    ax.set_title(f"per-class IoU (mIoU {cm.miou():.3f})")
    return _figure_png(fig)
