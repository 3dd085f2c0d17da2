"""``python -m demo [--host 127.0.0.1] [--port 7860]``: start the app, offline, on localhost."""

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description="segcore in the browser")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="ask Gradio for a public share link")
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from .app import build_demo

    build_demo().queue(max_size=32, default_concurrency_limit=2).launch(
        server_name=args.host, server_port=args.port, share=args.share)


if __name__ == "__main__":
    main()
