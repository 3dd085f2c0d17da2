"""``models``: list the registry, offline: what each entry can do and whether its weights are here."""

from __future__ import annotations

import json

HELP = ("list the models: what each can do (segment a whole image, answer clicks and boxes, find a concept "
        "by name), published figures, and whether their weights are on this machine")


def add_arguments(p) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--can", choices=("segment", "prompt", "concepts"), help="only the entries that do this")


def weights_state(card: dict) -> str:
    """``ready`` (no weights needed), ``present``, ``MISSING`` or ``no-pkg`` (a package is missing)."""
    if card["packages_missing"]:
        return "no-pkg"
    if card["weights_file"] is None:
        return "ready"
    return "present" if card["weights_present"] else "MISSING"


def cards(can: str | None = None) -> list[dict]:
    from ..models.registry import get, names

    out = []
    for name in names(can):
        c = get(name).card()
        c["state"] = weights_state(c)
        out.append(c)
    return out


def run(args) -> int:
    from ..models.weights import checkpoint_dir, is_offline

    rows = cards(args.can)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0

    def fmt(v, spec="{}"):
        return "-" if v is None else spec.format(v)

    print(f"{'model':29} {'can':24} {'classes':>7} {'mIoU':>5} {'params':>7} {'weights':8} file")
    for c in rows:
        classes = "any" if c["classes"] is None else ("/".join(c["objects"]) if c["objects"] else c["classes"])
        file = c["weights_file"] or "(no weights needed)"
        if c["state"] == "MISSING" and c["weights_url"] and not is_offline():
            file += " (downloads on first use)"
        if c["packages_missing"]:
            file += f" [pip install {' '.join(c['packages_missing'])}]"
        print(f"{c['name']:29} {','.join(c['can']):24} {classes:>7} {fmt(c['miou']):>5} "
              f"{fmt(c['num_params'] and c['num_params'] / 1e6, '{:.1f}M'):>7} {c['state']:8} {file}")
    print(f"\nweights folder: {checkpoint_dir()}")
    return 0
