"""``train``: train a registry model on a dataset's labels; the checkpoint carries its classes."""

from __future__ import annotations

import sys

HELP = "train a model on a dataset's corrected labels (edited and reviewed items)"


def add_arguments(p) -> None:
    p.add_argument("dataset", metavar="DATASET", help="VOC root, COCO JSON, labelme folder or image folder")
    p.add_argument("--model", required=True, help="deeplabv3plus_resnet18, pspnet_resnet18, fpn_resnet18 (also "
                   "_resnet34, _resnet50), unet, fcn_resnet18 or a torchvision model")
    p.add_argument("--out", required=True, metavar="CKPT", help="the best checkpoint (.pth); the latest goes "
                   "beside it as <name>.last.pth")
    p.add_argument("--weights", metavar="INIT", help="start from this checkpoint (a head of another size is "
                   "replaced); default: published or ImageNet weights where cached, else random")
    p.add_argument("--epochs", type=int, help="epochs (default 10; with --minutes: none, or at most this many)")
    p.add_argument("--minutes", type=float, metavar="M", help="a time budget: stop at the first epoch end past it")
    p.add_argument("--size", type=int, default=256, help="training crop and validation size (default 256)")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--lr", type=float, help="learning rate (default 1e-3, or 1e-4 from pretrained weights)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--val-split", type=float, default=0.1, metavar="F", help="share of items to validate on")
    g.add_argument("--val", metavar="DATASET", help="validate on this dataset instead")
    p.add_argument("--include-predicted", action="store_true", help="also train on items a model labelled")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda (mixed precision)")
    p.add_argument("--resume", metavar="CKPT", help="go on from a .last.pth checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", metavar="DIR", help="COCO: the folder of its images")


def run(args) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from ..dataset import open_dataset
    from ..errors import ModelError
    from ..train import train

    if args.epochs is None:
        args.epochs = 1_000_000 if args.minutes else 10
    if args.epochs < 1 or args.size < 32 or args.batch_size < 1:
        raise ModelError("--epochs and --batch-size must be at least 1 and --size at least 32")
    if args.minutes is not None and not args.minutes > 0:
        raise ModelError("--minutes must be more than 0")
    if not 0 <= args.val_split < 1:
        raise ModelError("--val-split is a share between 0 and 1")
    ds = open_dataset(args.dataset, images=args.images)
    val = open_dataset(args.val) if args.val else None
    bar = None

    def on_batch(epoch, step, steps, loss):
        nonlocal bar
        if bar is None:
            bar = tqdm(total=steps, desc=f"epoch {epoch + 1}" + ("" if args.epochs >= 1_000_000 else f"/{args.epochs}"),
                       unit="batch", disable=None)
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}")

    def on_epoch(stats):
        nonlocal bar
        if bar is not None:
            bar.close()
            bar = None
        line = f"epoch {stats['epoch']}: loss {stats['loss']:.4f}"
        if "miou" in stats:
            line += f", val pixel accuracy {stats['pixel_accuracy']:.4f}, mIoU {stats['miou']:.4f}"
        print(line + (" (best, saved)" if stats.get("best") else ""), flush=True)

    result = train(ds, Path(args.out), model=args.model, weights=args.weights, epochs=args.epochs, size=args.size,
                   batch_size=args.batch_size, lr=args.lr, val_split=0.0 if val else args.val_split, val=val,
                   device=args.device, resume=args.resume, seed=args.seed,
                   include_predicted=args.include_predicted, minutes=args.minutes,
                   on_batch=on_batch, on_epoch=on_epoch)
    if bar is not None:
        bar.close()
    print(f"start: {result.start}", file=sys.stderr)
    if result.interrupted:
        print(f"stopped after {result.epochs_done} epochs; the latest is {result.last}: go on with "
              f"--resume {result.last}", file=sys.stderr)
        return 130
    print(f"trained {result.epochs_done} epochs in {result.seconds:.0f} s; best checkpoint {result.best}, "
          f"latest {result.last}")
    return 0
