"""``prelabel``: predict every item of a dataset that has no labels yet."""

from __future__ import annotations

import sys
from dataclasses import replace

HELP = "pre-label a dataset: predict the items without labels; edited and reviewed ones are kept"

ORDER_NOTE = "least sure first"


def add_arguments(p) -> None:
    p.add_argument("dataset", metavar="DATASET", help="VOC root, COCO JSON, labelme folder or image folder")
    p.add_argument("--model", help="model name (see `segcore models`), or trained:NAME, a model trained on this "
                   "dataset (in its .segcore/models)")
    p.add_argument("--concepts", nargs="?", const="auto", metavar="MODEL",
                   help="find every class by its name (default model: auto, SAM 3; each image encoded once for "
                        "all classes); instead of --model")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="--concepts: keep instances scored above this (0-1, default 0.5)")
    p.add_argument("--prompt", action="append", default=[], metavar="CLASS=TEXT",
                   help="--concepts: find CLASS by TEXT (e.g. pavement=sidewalk), kept in the dataset's "
                        ".segcore/prompts.json for later runs and the app; CLASS= sets it back to its name")
    p.add_argument("--weights", metavar="FILE",
                   help="checkpoint file (default: the torch hub cache); with --concepts, SAM 3's folder "
                        "(config.json, model.safetensors)")
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
    from ..dataset import open_dataset
    from ..dataset.prelabel import class_mapping, prelabel, todo
    from ..errors import ModelError
    from ..models.registry import load_model

    ds = open_dataset(args.dataset, images=args.images)
    if args.concepts or args.prompt:
        if args.model:
            raise ModelError("give either --model or --concepts")
        if not args.concepts:
            raise ModelError("--prompt goes with --concepts")
        return _concepts(ds, args)
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
    steps = prelabel(ds, model, overwrite_predicted=overwrite, indices=indices, model_name=args.model)
    if args.ray:
        steps = _ray_steps(ds, model, indices, args)
    return _report(ds, steps, indices, args)


def _report(ds, steps, indices, args) -> int:
    """Run ``steps`` with a progress bar; one line per failure, a summary at the end."""
    from tqdm import tqdm

    done = failed = 0
    bar = tqdm(total=len(indices), unit="image", desc="prelabel", disable=None)
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


def _concepts(ds, args) -> int:
    """Every class found by name with SAM 3 in the items without labels."""
    from ..dataset.concept_prompts import set_concept_prompt
    from ..dataset.prelabel import todo
    from ..dataset.prelabel_concepts import class_prompts, prelabel_concepts
    from ..errors import ModelError, PromptError
    from ..models import CONCEPTS, obtain, resolve
    from ..models.fetch import fetch
    from .progress import DownloadBar

    if not 0 <= args.threshold <= 1:
        raise PromptError(f"--threshold is between 0 and 1, got {args.threshold}")
    for spec in args.prompt:
        cls, eq, text = spec.partition("=")
        if not eq or not cls.strip():
            raise ModelError(f"--prompt is CLASS=TEXT (e.g. pavement=sidewalk), got {spec!r}")
        set_concept_prompt(ds, cls.strip(), text)
    prompts = class_prompts(ds)
    overwrite = args.overwrite == "predicted"
    indices = todo(ds, overwrite)
    shown = ", ".join(f"{ds.label_set.names[k]}" + (f" as '{t}'" if t != ds.label_set.names[k] else "")
                      for k, t in prompts.items())
    offline = args.offline or None
    choice = resolve(args.concepts, CONCEPTS, weights=args.weights, offline=offline)
    print(f"finding {len(prompts)} classes ({shown}) in {len(indices)} items with {choice.spec.title}",
          file=sys.stderr)
    progress = DownloadBar()
    try:
        if args.ray:       # the actors load the model; here the weights are only made present
            if choice.fetch:
                choice = replace(choice, path=fetch(choice.spec.name, choice.weights, offline=offline,
                                                    progress=progress), fetch=False)
            steps = _ray_concepts(ds, indices, prompts, choice, args)
        else:
            model, choice = obtain(choice, CONCEPTS, offline=offline, device=args.device, progress=progress)
            steps = prelabel_concepts(ds, model, threshold=args.threshold, overwrite_predicted=overwrite,
                                      indices=indices, model_name=choice.name)
    finally:
        progress.close()
    return _report(ds, steps, indices, args)


def _ray_concepts(ds, indices, prompts, choice, args):
    """The concept model on Ray actors (the weights found, or fetched, here first); each item
    written back here, as the local path does."""
    from ..dataset.prelabel import PrelabelStep, writable_statuses
    from ..dataset.prelabel_concepts import write_found
    from ..errors import SegcoreError
    from ..models.ray_concepts import concepts_with_ray

    allowed = writable_statuses(args.overwrite == "predicted")
    for i, shape, found, err in concepts_with_ray(ds, indices, prompts, model=choice.spec.name, weights=choice.path,
                                                  threshold=args.threshold, device=args.device, address=args.ray):
        if not err:
            try:
                score = write_found(ds, i, found, shape, choice.name, allowed)
            except SegcoreError as e:      # labelled by a person meanwhile: left as it is
                err = str(e)
        if err:
            yield PrelabelStep(i, ds[i].name, "failed", err)
            continue
        yield PrelabelStep(i, ds[i].name, "predicted", confidence=score)
