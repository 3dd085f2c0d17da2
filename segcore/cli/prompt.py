"""``prompt``: one object's mask from clicks and / or a box, with a prompter (SAM, GrabCut...)."""

from __future__ import annotations

import argparse
import sys

HELP = "cut one object out of a photo with clicks and/or a box; writes its mask as a PNG (255 inside)"


def add_arguments(p) -> None:
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--points", metavar="X,Y,L;...", help="clicks in pixels: L=1 on the object, L=0 off it")
    p.add_argument("--box", metavar="X0,Y0,X1,Y1", help="a box around the object (pixels, X1/Y1 exclusive)")
    p.add_argument("--prompter", default="auto",
                   help="auto (default: the best prompter whose weights are here or can be downloaded, else "
                        "grabcut), or any entry that answers clicks and boxes (`segcore models --can prompt`)")
    p.add_argument("--weights", metavar="FILE", help="checkpoint file for the prompter")
    p.add_argument("--multimask", action=argparse.BooleanOptionalAction, default=None,
                   help="choose among several masks by predicted IoU (default: with one click and no box)")
    p.add_argument("--offline", action="store_true", help="never try to download weights")
    p.add_argument("--out", required=True, metavar="MASK.png")


def parse_box(text: str | None):
    """``"x0,y0,x1,y1"`` to four strings (checked against the image by ``check_box``), or None."""
    from ..errors import PromptError

    if not text:
        return None
    parts = [t.strip() for t in text.split(",")]
    if len(parts) != 4:
        raise PromptError(f"--box is X0,Y0,X1,Y1; got {text!r}")
    return parts


def prompted_mask(prompter, rgb, points=(), box=None, multimask: bool | None = None):
    """A single prompt's :class:`PromptResult` on RGB uint8 ``rgb``: the first click of a run
    (one point, no box) chooses among the multimask outputs unless ``multimask`` says otherwise."""
    if multimask is None:
        multimask = len(points) == 1 and box is None
    prompter.set_image(rgb)
    return prompter.predict(points, box, multimask=multimask)


def load_prompter_for_cli(name: str, weights=None, offline: bool = False, class_name: str | None = None):
    """``(prompter, its name)`` through the one resolver, a download shown as a bar; a fallback
    (``auto`` without weights) said as a ``note:`` line on stderr."""
    from ..models.registry import PROMPT
    from ..models.resolve import obtain
    from .progress import DownloadBar

    bar = DownloadBar()
    try:
        prompter, choice = obtain(name, PROMPT, weights=weights, offline=offline or None, class_name=class_name,
                                  progress=bar)
    finally:
        bar.close()
    if choice.note:
        print(f"note: {choice.note}", file=sys.stderr)
    return prompter, choice.name


def run(args) -> int:
    import numpy as np
    from PIL import Image

    from ..errors import PromptError
    from ..fileio import write_with
    from ..image import load
    from ..prompts import check_box, parse_points

    rgb = load(args.image)
    H, W = rgb.shape[:2]
    points = parse_points(args.points) if args.points else []
    box = parse_box(args.box)
    box = check_box(box, H, W) if box is not None else None
    if not points and box is None:
        raise PromptError("give --points, --box or both")
    prompter, name = load_prompter_for_cli(args.prompter, args.weights, args.offline)
    result = prompted_mask(prompter, rgb, points, box, args.multimask)
    im = Image.fromarray(np.where(result.mask, 255, 0).astype(np.uint8), "L")
    write_with(args.out, lambda p: im.save(p, format="PNG"))
    print(f"{args.out}: {name}, {int(result.mask.sum())} pixels ({100 * result.mask.mean():.1f}% of "
          f"{W}x{H}), score {result.score:.3f}")
    return 0
