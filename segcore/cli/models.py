"""``models``: list the registry, offline, with whether each model's weights are here."""

from __future__ import annotations

import json

HELP = ("list the models and prompters, their published figures and whether their weights are on "
        "this machine")


def add_arguments(p) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args) -> int:
    from ..models.registry import get_model_spec, list_models
    from ..models.weights import checkpoint_dir

    cards = [get_model_spec(n).card() for n in list_models()]
    prompters = prompter_cards()
    if args.json:
        print(json.dumps(cards + prompters, indent=2))
        return 0

    def fmt(v, spec="{}"):
        return "-" if v is None else spec.format(v)

    print(f"{'model':30} {'classes':>7} {'mIoU':>5} {'params':>7} {'weights':8} file")
    for c in cards:
        present = "none" if c["weights_file"] is None else ("present" if c["weights_present"] else "MISSING")
        print(f"{c['name']:30} {c['classes']:>7} {fmt(c['miou']):>5} "
              f"{fmt(c['num_params'] and c['num_params'] / 1e6, '{:.1f}M'):>7} {present:8} "
              f"{c['weights_file'] or '(no weights needed)'}")
    print(f"\n{'prompter':30} {'state':9} {'file':27} description")
    for c in prompters:
        print(f"{c['name']:30} {c['state']:9} {c['weights_file'] or '(no weights needed)':27} {c['description']}"
              + (f" [pip install {' '.join(c['packages_missing'])}]" if c["packages_missing"] else ""))
    print(f"\nweights folder: {checkpoint_dir()}")
    return 0


def prompter_cards() -> list[dict]:
    """One dict per prompter: ``state`` is ``ready`` (no weights needed), ``present`` (its file is
    in the cache folder), ``MISSING`` (not there) or ``no-pkg`` (its export needs a package)."""
    from ..models.prompters import get_prompter_spec, list_prompters
    from ..models.prompters.sam import CHECKPOINTS, packages_missing

    out = []
    for name in list_prompters():
        spec = get_prompter_spec(name)
        missing = packages_missing(CHECKPOINTS[name]) if name in CHECKPOINTS else []
        if missing:
            state = "no-pkg"
        elif not spec.needs_weights:
            state = "ready" if spec.available() else "MISSING"
        else:
            state = "present" if spec.available() else "MISSING"
        out.append({"kind": "prompter", "name": name, "description": spec.description, "state": state,
                    "weights_file": spec.weights_file, "packages_missing": missing})
    return out
