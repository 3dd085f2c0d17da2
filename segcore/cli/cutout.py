"""``cutout``: cut a person out of a photo; transparent, colour, blurred or another background."""

from __future__ import annotations

import sys

HELP = "cut the person out of a photo (soft alpha matte) onto a new background"


def add_arguments(p) -> None:
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--model", default="auto",
                   help="auto (default: selfie where its file is here or can be downloaded, else grabcut), "
                        "selfie, grabcut, a VOC model or unet")
    p.add_argument("--weights", metavar="FILE", help="checkpoint file for the model (or the prompter)")
    p.add_argument("--prompter", metavar="NAME",
                   help="take the person from a prompter instead (auto, or any entry of `segcore models --can "
                        "prompt`) prompted by --box and --points; with neither, the automatic box")
    p.add_argument("--box", metavar="X0,Y0,X1,Y1", help="box around the person (pixels)")
    p.add_argument("--points", metavar="X,Y,L;...",
                   help="clicks: L=1 person, L=0 background; they correct the model's person as the editor's "
                        "clicks do")
    p.add_argument("--background", default="transparent", metavar="transparent|#RRGGBB|blur|PATH")
    p.add_argument("--matting", default="guided", choices=("guided", "closed_form"))
    p.add_argument("--offline", action="store_true", help="never try to download weights")
    p.add_argument("--out", required=True, metavar="FILE.png")


def run(args) -> int:
    from PIL import Image

    from ..portrait.cutout import cutout
    from ..errors import PromptError
    from ..fileio import write_with
    from ..prompts import parse_points

    box = None
    if args.box:
        parts = args.box.split(",")
        if len(parts) != 4:
            raise PromptError(f"--box is X0,Y0,X1,Y1; got {args.box!r}")
        box = parts
    points = parse_points(args.points) if args.points else []
    notes: list[str] = []
    if args.prompter:
        picture = _prompted_cutout(args, box, points, notes)
    else:
        from .progress import DownloadBar

        bar = DownloadBar()
        try:
            picture = cutout(args.image, args.model, weights=args.weights, box=box, points=points,
                             background=args.background, solver=args.matting, offline=args.offline or None,
                             notes=notes, progress=bar)
        finally:
            bar.close()
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    im = Image.fromarray(picture, "RGBA" if picture.shape[2] == 4 else "RGB")
    write_with(args.out, lambda p: im.save(p, format="PNG"))
    return 0


def _prompted_cutout(args, box, points, notes):
    from ..image import load
    from ..models.grabcut import default_box
    from ..portrait.cutout import composite, cut
    from ..prompts import check_box
    from .prompt import load_prompter_for_cli, prompted_mask

    rgb = load(args.image)
    H, W = rgb.shape[:2]
    box = check_box(box, H, W) if box is not None else (default_box(H, W) if not points else None)
    prompter, _ = load_prompter_for_cli(args.prompter, args.weights, args.offline, class_name="person")
    mask = prompted_mask(prompter, rgb, points, box).mask
    return composite(cut(rgb, mask, args.matting), args.background, photo=rgb)
