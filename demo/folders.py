"""The app's own temporary folder: every session folder and, for a served app, Gradio's cache
live in it, and it goes when the server stops (Ctrl+C, SIGTERM, a normal exit).

A server killed outright (SIGKILL, a crash) cannot clean up: its folder names its process id
(``owner.pid``), and the next server to start removes the folders of processes that are gone.
Imports no Gradio, so :func:`setup` can point Gradio's cache here before Gradio is imported.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["root", "setup", "remove_stale", "PREFIX"]

PREFIX = "segcore-app-"
_root: Path | None = None
_cleanups: list = []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True            # another user's process
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove the app folders in ``parent`` whose server process is gone; returns them."""
    gone = []
    for d in parent.glob(f"{PREFIX}*"):
        try:
            pid = int((d / "owner.pid").read_text())
        except (OSError, ValueError):
            continue            # not marked (or not readable): not ours to judge
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    return gone


def root() -> Path:
    """This process's app folder (made on first use; removed at exit)."""
    global _root
    if _root is None:
        parent = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir())
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale(parent)
        _root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        (_root / "owner.pid").write_text(str(os.getpid()))
        atexit.register(_remove)
    return _root


def on_exit(fn) -> None:
    """Run ``fn()`` at exit before the folder is removed (saving open items, say)."""
    _cleanups.append(fn)


def _remove() -> None:
    for fn in reversed(_cleanups):
        try:
            fn()
        except Exception:  # noqa: BLE001 - the folder must go whatever a cleanup does
            pass
    if _root is not None:
        shutil.rmtree(_root, ignore_errors=True)


def setup() -> Path:
    """For a server process, before Gradio is imported: make the app folder and keep Gradio's
    cache (uploads, downloads) inside it, so nothing of a session outlives the server."""
    folder = root()
    os.environ["GRADIO_TEMP_DIR"] = str(folder / "gradio")
    return folder
