"""``segcore-app [DATASET]`` / ``python -m demo [--data DATASET] [--host 127.0.0.1] [--port 7860]
[--offline] [--users FILE] [--history-mb N]``: start the app on localhost, on a dataset or on
uploads. On a network (``--share``, a ``--host`` other than loopback) it needs accounts
(``--users``), unless ``--no-auth`` says the network is trusted."""

import argparse
import logging
import os
import signal

#: Largest upload the app takes; a 50-megapixel photo (segcore's pixel limit) fits.
MAX_FILE_SIZE = "100mb"


def _steady_memory() -> None:
    """Keep a long-running server's memory from creeping up. glibc raises its mmap threshold
    after each large free, so the megabyte arrays of later requests come from per-thread
    heaps that fragment and are never returned; a fixed threshold keeps them mmapped (freed
    at once) and two arenas bound the rest. Measured by tests/bench/bench_load.py."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 256 * 1024)   # M_MMAP_THRESHOLD
        libc.mallopt(-8, 2)            # M_ARENA_MAX
    except (OSError, AttributeError):
        pass                           # not glibc: nothing to tune


def main() -> None:
    parser = argparse.ArgumentParser(prog="segcore-app", description="segcore in the browser")
    parser.add_argument("dataset", nargs="?", help="a dataset to correct: VOC root, COCO JSON, labelme or "
                        "image folder (default: none; each session uploads its images)")
    parser.add_argument("--data", help="the same as DATASET")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    parser.add_argument("--offline", action="store_true",
                        help="never try to download a model's weights (same as SEGCORE_OFFLINE=1)")
    parser.add_argument("--max-file-size", default=MAX_FILE_SIZE, help=f"largest upload (default {MAX_FILE_SIZE})")
    parser.add_argument("--users", metavar="FILE",
                        help="accounts (segcore users add NAME --file FILE): a login page, and every route "
                             "refused to anyone not logged in")
    parser.add_argument("--no-auth", action="store_true",
                        help="allow --share or a non-loopback --host without --users (a trusted network)")
    parser.add_argument("--history-mb", type=float, metavar="N",
                        help="keep the dataset's history of versions within N megabytes (kept with the "
                             "dataset; default 256)")
    args = parser.parse_args()
    from .auth import load_users, needs_accounts

    why = needs_accounts(args.host, args.share)
    if why and not args.users and not args.no_auth:
        parser.exit(1, f"error: {why}: give accounts (--users FILE) or, on a trusted network, --no-auth\n")
    # Before Gradio is imported: its cache (copies of uploads and downloads) goes inside the
    # app's own folder, which goes with the server (a killed server's, at the next start).
    from . import folders

    folders.setup()
    # SIGTERM (a container stop, kill) ends the server as Ctrl+C does: open items are saved
    # and the app's folder removed, where the default would leave both behind.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    _steady_memory()
    if args.offline:
        os.environ["SEGCORE_OFFLINE"] = "1"
    # One line per user error on the server (handlers log them; Gradio's tracebacks are off).
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from segcore.errors import SegcoreError

    from .app import build_demo

    try:
        users = load_users(args.users) if args.users else None
        demo = build_demo(args.data or args.dataset, users=users, history_mb=args.history_mb)
    except SegcoreError as e:
        parser.exit(1, f"error: {e}\n")
    demo.queue(max_size=32, default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_file_size, css=demo.css)


if __name__ == "__main__":
    main()
