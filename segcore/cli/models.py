"""``models``: list the registry, offline, with whether each model's weights are here."""

from __future__ import annotations

import json

HELP = "list the models, their published figures and whether their weights are on this machine"


def add_arguments(p) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args) -> int:
    from ..models.registry import get_model_spec, list_models
    from ..models.weights import checkpoint_dir

    cards = [get_model_spec(n).card() for n in list_models()]
    if args.json:
        print(json.dumps(cards, indent=2))
        return 0

    def fmt(v, spec="{}"):
        return "-" if v is None else spec.format(v)

    print(f"{'model':30} {'classes':>7} {'mIoU':>5} {'params':>7} {'weights':8} file")
    for c in cards:
        present = "none" if c["weights_file"] is None else ("present" if c["weights_present"] else "MISSING")
        print(f"{c['name']:30} {c['classes']:>7} {fmt(c['miou']):>5} "
              f"{fmt(c['num_params'] and c['num_params'] / 1e6, '{:.1f}M'):>7} {present:8} "
              f"{c['weights_file'] or '(no weights needed)'}")
    print(f"\nweights folder: {checkpoint_dir()}")
    return 0
