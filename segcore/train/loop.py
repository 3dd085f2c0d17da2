"""The training loop: any torch entry of the registry on any segcore dataset.

Cross-entropy with void (255) ignored; the seeds' UNet on two classes keeps its single
sigmoid logit and binary cross-entropy (threshold 0.5). AdamW with a cosine learning rate
over all steps. After each epoch the validation items are predicted whole (shorter side
resized to ``size``, logits upsampled to the labels) and scored; the best checkpoint by
validation mIoU is kept at ``out``, the latest at ``<out stem>.last.pth`` for ``resume``.
Seeded: the same data, model and seed give the same run. Ctrl+C saves the latest and stops.

With a time budget (``minutes``) the run ends at the first epoch boundary past it (the epoch
in progress is finished and validated) and the cosine schedule follows the time spent
instead of the steps, so a short budget still ends on a small learning rate.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from ..dataset import Dataset
from ..errors import FormatError, ModelError, WeightsError
from ..labels import LabelSet
from ..models.trained import label_set_of
from .checkpoint import save_checkpoint
from .data import TrainCrops, labelled_items, split

__all__ = ["train", "TrainResult", "last_path"]


@dataclass
class TrainResult:
    best: Path | None
    last: Path
    epochs_done: int
    history: list[dict] = field(default_factory=list)    # one dict per epoch
    start: str = ""
    interrupted: bool = False
    seconds: float = 0.0
    out_of_time: bool = False


def last_path(out: Path) -> Path:
    return out.with_name(out.stem + ".last" + (out.suffix or ".pth"))


def _start_weights(spec, net, weights, num_classes: int) -> str:
    """Initial weights: a file given; else the entry's published weights where cached (head
    replaced when the classes differ); else ImageNet backbone weights where cached."""
    from ..models.weights import checkpoint_dir, load_state, read_state_dict

    if weights is not None:
        report = load_state(net, read_state_dict(weights), source=str(weights))
        return report.summary()
    published = spec.tagged("published")
    if published is not None:
        cached = checkpoint_dir() / published.file_name
        if cached.is_file():
            report = load_state(net, read_state_dict(cached), source=str(cached))
            return f"published weights, head for {num_classes} classes: {report.summary()}"
    backbone = spec.tagged("backbone")
    if backbone is not None:
        file, remap = backbone.file_name, backbone.remap
        cached = checkpoint_dir() / file
        if cached.is_file():
            state = {remap(k): v for k, v in read_state_dict(cached).items() if remap(k)}
            report = load_state(net, state, source=str(cached))
            return f"ImageNet backbone: {report.loaded} tensors from {cached.name}"
    return "random initialisation (no published or ImageNet weights in the cache)"


def train(ds: Dataset, out: str | Path, *, model: str, weights=None, epochs: int = 10, size: int = 256,
          batch_size: int = 4, lr: float | None = None, val_split: float = 0.1, val: Dataset | None = None,
          device: str = "cpu", resume=None, seed: int = 0, include_predicted: bool = False,
          statuses=None, minutes: float | None = None,
          on_batch: Callable | None = None, on_epoch: Callable | None = None) -> TrainResult:
    """Train ``model`` on ``ds``; returns what was done. ``on_batch(epoch, step, steps, loss)``
    and ``on_epoch(stats)`` report progress (the library prints nothing; either may raise
    KeyboardInterrupt to stop, keeping the best and the latest checkpoints). ``statuses``: the
    items to train on (default edited and reviewed, with predicted if ``include_predicted``).
    ``minutes``: a time budget; ``epochs`` is then at most that many."""
    import torch
    import torch.nn.functional as F

    from ..metrics import confusion_matrix
    from ..models.predictor import TorchSegmenter
    from ..models.registry import get_model_spec
    from ..models.weights import read_checkpoint

    out = Path(out)
    spec = get_model_spec(model)
    if not spec.trainable:
        raise ModelError(f"model {model} has no torch network to train; choose one of: "
                         "unet, fcn_resnet18, deeplabv3plus_resnet18, pspnet_resnet18, fpn_resnet18, "
                         "or a torchvision model")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError("CUDA is not available on this machine; train with --device cpu")
    label_set: LabelSet | None = ds.label_set
    if label_set is None:
        raise FormatError(f"{ds.root} has no classes; give it a labels.txt")
    items = labelled_items(ds, include_predicted, statuses)
    if not items:
        what = " or ".join(statuses) if statuses else "edited or reviewed"
        raise FormatError(f"{ds.root} has no labelled items ({what})"
                          + ("" if include_predicted else "; label some, or include predicted ones"))
    if minutes is not None and not minutes > 0:
        raise ModelError("the time budget must be more than 0 minutes")
    budget = None if minutes is None else float(minutes) * 60
    if val is not None:
        train_idx, val_idx, val_ds = items, labelled_items(val, include_predicted), val
        if val.label_set is None or val.label_set.names != label_set.names:
            raise FormatError("the validation dataset's classes differ from the training dataset's")
    else:
        train_idx, val_idx = split(items, val_split, seed)
        val_ds = ds
    k = len(label_set)
    binary = spec.single_logit and k == 2
    torch.manual_seed(seed)
    net = spec.net(k)
    first_epoch, best_miou, history = 0, -1.0, []
    optim_state = None
    if resume is not None:
        state, meta = read_checkpoint(resume)
        if not meta or meta.get("model") != model or label_set_of(meta).names != label_set.names:
            raise WeightsError(f"{resume} is not a checkpoint of {model} on these classes; it cannot be resumed")
        net.load_state_dict(state)
        raw = torch.load(resume, map_location="cpu", weights_only=True)
        optim_state = raw.get("optimizer")
        info = meta.get("train", {})
        first_epoch = int(meta.get("epochs", 0))
        best_miou = float(info.get("best_miou", -1.0))
        history = list(info.get("history", []))
        start = f"resumed from {resume} after epoch {first_epoch}"
    else:
        start = _start_weights(spec, net, weights, k)
    if lr is None:
        lr = 1e-4 if ("published" in start or weights is not None) else 1e-3
    dev = torch.device(device)
    net.to(dev)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    if optim_state is not None:
        opt.load_state_dict(optim_state)
    amp = dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if amp else None
    crops = TrainCrops(ds, train_idx, size)
    steps_per_epoch = max(1, math.ceil(len(crops) / batch_size))
    total_steps = steps_per_epoch * max(1, epochs)
    run_spec = dataclasses.replace(spec, label_set=label_set, weights=tuple(
        dataclasses.replace(w, preprocessing=partial(w.preprocessing, resize_size=size))
        if w.preprocessing is not None else w for w in spec.weights))
    last = last_path(out)
    t0 = time.perf_counter()
    epoch = first_epoch
    result = TrainResult(best=None, last=last, epochs_done=first_epoch, history=history, start=start)

    def save(path, epochs_done, val_stats):
        save_checkpoint(path, model=model, state_dict=net.state_dict(), label_set=label_set, input_size=size,
                        epochs=epochs_done, val=val_stats, optimizer=opt.state_dict(),
                        train={"best_miou": best_miou, "history": history, "seed": seed, "lr": lr,
                               "batch_size": batch_size, "train_items": len(train_idx),
                               "val_items": len(val_idx), "start": start})

    try:
        for epoch in range(first_epoch, epochs):
            net.train()
            rng = np.random.default_rng([seed, epoch])
            order = [train_idx[j] for j in rng.permutation(len(train_idx))]
            batches = [order[j:j + batch_size] for j in range(0, len(order), batch_size)]
            if len(batches) > 1 and len(batches[-1]) == 1:   # BatchNorm needs 2 samples somewhere
                single = batches.pop()
                batches[-1] = batches[-1] + single
            elif len(batches) == 1 and len(batches[0]) == 1:
                batches[0] = batches[0] * 2
            losses = []
            for step, idx in enumerate(batches):
                x, y = crops.batch(idx, rng)
                x, y = x.to(dev), y.to(dev)
                done = epoch * steps_per_epoch + step
                frac = done / total_steps if budget is None else (time.perf_counter() - t0) / budget
                for g in opt.param_groups:
                    g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
                with torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=amp):
                    logits = net(x)["out"]
                    if binary:
                        keep = y != 255
                        loss = F.binary_cross_entropy_with_logits(
                            logits[:, 0][keep].float(), y[keep].float()) if keep.any() else logits.sum() * 0
                    else:
                        loss = F.cross_entropy(logits.float(), y, ignore_index=255)
                opt.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(opt)
                    scaler.update()
                else:
                    loss.backward()
                    opt.step()
                losses.append(float(loss.detach()))
                if on_batch:
                    on_batch(epoch, step, len(batches), losses[-1])
            stats = {"epoch": epoch + 1, "loss": float(np.mean(losses))}
            if val_idx:
                seg = TorchSegmenter(run_spec, net, device=device, binary=binary, size_divisor=spec.size_divisor)
                total = None
                for i in val_idx:
                    truth = val_ds.read_labels(i)
                    pred = seg.predict(val_ds.read_image(i)).labels
                    cm = confusion_matrix(truth, pred, k, label_set.void_index)
                    total = cm if total is None else total + cm
                stats.update(pixel_accuracy=total.pixel_accuracy(), miou=total.miou())
            history.append(stats)
            result.epochs_done = epoch + 1
            improved = val_idx and stats["miou"] > best_miou
            if improved:
                best_miou = stats["miou"]
            val_stats = {k2: v for k2, v in stats.items() if k2 in ("pixel_accuracy", "miou", "loss")}
            save(last, epoch + 1, val_stats)
            if improved or not val_idx:
                save(out, epoch + 1, val_stats)
                result.best = out
            stats["best"] = bool(improved or not val_idx)
            if on_epoch:
                on_epoch(stats)
            if budget is not None and time.perf_counter() - t0 >= budget:
                result.out_of_time = True
                break
    except KeyboardInterrupt:
        # Ctrl+C: keep what the finished epochs made; --resume goes on from there.
        result.interrupted = True
        if result.epochs_done > first_epoch or not last.exists():
            save(last, result.epochs_done, history[-1] if history else {})
    result.seconds = time.perf_counter() - t0
    return result
