"""Atomic file writes that keep the previous version of a file they replace.

A write goes to a temporary file in the target's folder, then ``os.replace`` moves it into
place, so a reader never sees half a file. If the target already exists, it is kept as
``<name>.bak`` (one previous version; an older ``.bak`` is replaced).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["atomic_path", "write_with", "write_bytes", "write_text", "backup_name", "read_json"]


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_MODE = _default_mode()


def backup_name(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, keep_backup: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes 0600 files; a user's output should read like any file they save.
        os.chmod(tmp_path, _MODE)
        if keep_backup and path.exists():
            os.replace(path, backup_name(path))
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_with(path: str | os.PathLike, writer: Callable[[Path], None], keep_backup: bool = True) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path, keep_backup=keep_backup) as tmp:
        writer(tmp)
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes, keep_backup: bool = True) -> Path:
    return write_with(path, lambda p: p.write_bytes(data), keep_backup)


def write_text(path: str | os.PathLike, text: str, keep_backup: bool = True) -> Path:
    return write_with(path, lambda p: p.write_text(text, encoding="utf-8"), keep_backup)


def read_json(path: str | os.PathLike):
    """Parse a JSON file; a missing or malformed file raises FormatError naming it."""
    from .errors import FormatError

    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FormatError(f"{path} is not valid JSON ({e})") from None
