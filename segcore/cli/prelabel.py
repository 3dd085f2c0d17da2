"""``prelabel``: predict every item of a dataset that has no labels yet."""

from __future__ import annotations

import sys

HELP = "pre-label a dataset: predict the items without labels; edited and reviewed ones are kept"

ORDER_NOTE = "least sure first"


def add_arguments(p) -> None:
    p.add_argument("dataset", metavar="DATASET", help="VOC root, COCO JSON, labelme folder or image folder")
    p.add_argument("--model", help="model name (see `segcore models`), or trained:NAME, a model trained on this "
                   "dataset (in its .segcore/models)")
    p.add_argument("--weights", metavar="FILE", help="checkpoint file (default: the torch hub cache)")
    p.add_argument("--images", metavar="DIR", help="COCO: the folder of its images")
    p.add_argument("--overwrite", choices=("predicted",), help="also predict again items a model labelled")
    p.add_argument("--offline", action="store_true", help="never try to download weights")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    p.add_argument("--backend", choices=("onnxruntime", "torch"),
                   help="torch models: default onnxruntime on a CPU where installed, torch on a GPU")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="predict on a Ray cluster (ADDRESS of its head; none: local Ray); labels are "
                        "written back here")
    p.add_argument("--sort-by-confidence", action="store_true",
                   help="then print the items not reviewed, least sure first (name, status, confidence, model); "
                        "without --model only print it")


def run(args) -> int:
    from tqdm import tqdm

    from ..dataset import open_dataset
    from ..dataset.prelabel import class_mapping, prelabel, todo
    from ..errors import ModelError
    from ..models.registry import load_model

    ds = open_dataset(args.dataset, images=args.images)
    if not args.model:
        if not args.sort_by_confidence:
            raise ModelError("give --model NAME (or --sort-by-confidence to print the review order)")
        return _print_order(ds)
    name, weights = args.model, args.weights
    if name.startswith("trained:"):
        from ..models.trained import resolve_trained

        if weights:
            raise ModelError(f"{name} brings its own checkpoint; give no --weights")
        trained = resolve_trained(ds, name)
        name, weights = trained.model, str(trained.path)
    args.arch, args.weights = name, weights
    from .progress import DownloadBar

    bar = DownloadBar()
    model = load_model(name, weights=weights, offline=args.offline or None,
                       device=args.device, progress=bar, backend=args.backend)
    report = getattr(model, "report", None)
    if report is not None and not report.complete:
        print(f"warning: {report.summary()}", file=sys.stderr)
    overwrite = args.overwrite == "predicted"
    if ds.label_set is not None:
        _, missing = class_mapping(model.spec.label_set, ds.label_set)
        if missing:
            print(f"warning: the dataset has no class {', '.join(missing[:5])}: those pixels become void",
                  file=sys.stderr)
    indices = todo(ds, overwrite)
    done = failed = 0
    bar = tqdm(total=len(indices), unit="image", desc="prelabel", disable=None)
    steps = prelabel(ds, model, overwrite_predicted=overwrite, indices=indices, model_name=args.model)
    if args.ray:
        steps = _ray_steps(ds, model, indices, args)
    for step in steps:
        bar.update(1)
        if step.outcome == "failed":
            failed += 1
            tqdm.write(f"error: {step.name}: {step.message}", file=sys.stderr)
        else:
            done += 1
    bar.close()
    skipped = len(ds) - len(indices)
    print(f"predicted {done} of {len(ds)} items ({skipped} already labelled and kept"
          f"{f', {failed} failed' if failed else ''}); statuses in {ds.root / '.segcore'}")
    if args.sort_by_confidence:
        _print_order(ds)
    return 1 if failed else 0


def _print_order(ds) -> int:
    """The items not reviewed, least sure first: ``name<TAB>status<TAB>confidence<TAB>model``."""
    from ..dataset.prelabel import least_sure_first

    order = least_sure_first(ds, ("unlabelled", "predicted", "edited"))
    print(f"# {len(order)} items not reviewed, {ORDER_NOTE} (name, status, confidence, model)")
    for i in order:
        info = ds.item_info(i)
        c = info.get("confidence")
        print(f"{ds.names[i]}\t{ds.status(i)}\t{'-' if c is None else f'{c:.4f}'}\t{info.get('model', '-')}")
    return 0


def _ray_steps(ds, model, indices, args):
    """Prediction on Ray actors; each item written back here, as the local path does."""
    from ..dataset.prelabel import PrelabelStep, class_mapping
    from ..models.ray_predict import prelabel_with_ray

    if ds.label_set is None:
        ds.set_label_set(model.spec.label_set)
    lut, _ = class_mapping(model.spec.label_set, ds.label_set)
    for i, labels, err in prelabel_with_ray(ds, indices, model=args.arch, weights=args.weights,
                                            device=args.device, backend=args.backend, address=args.ray):
        if err:
            yield PrelabelStep(i, ds[i].name, "failed", err)
            continue
        ds.write_labels(i, lut[labels], status="predicted")
        yield PrelabelStep(i, ds[i].name, "predicted")
