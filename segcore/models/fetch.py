"""Weights on first use: a download into the cache folder, resumable, checked by its checksum.

``fetch(model, weights)`` downloads a registry entry's published weights
(:class:`~segcore.models.registry.Weights`) to ``checkpoint_dir() / file_name``: into a
``.part`` file first, which an interrupted download leaves behind and the next one continues
(an HTTP ``Range`` request; a server that ignores it sends the whole file again), then checked
against the published checksum (a file that does not match is deleted and refused, never
used) and moved into place. ``progress(received, total)`` is called as bytes arrive (``total``
None where the server does not say). ``start(model, weights)`` runs the same in a background
thread and returns a :class:`Download` to poll (the app answers with GrabCut meanwhile); one
download per file per process, whoever asks.

Where from: the published url, or ``$SEGCORE_WEIGHTS_URL/<file name>`` (a mirror, or a test's
local server); ``$SEGCORE_WEIGHTS_SHA256`` states the checksums of a mirror's own files (see
:mod:`segcore.models.weights`). Offline (``SEGCORE_OFFLINE=1``, ``offline=True``) nothing is
attempted. Gated files (a hub licence) are asked for with the user's Hugging Face token
(``HF_TOKEN``, or the one ``huggingface-cli login`` keeps) where there is one.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from ..errors import WeightsError
from .weights import checkpoint_dir, download_url, expected_check, is_offline, mismatch, missing_message

__all__ = ["fetch", "start", "Download", "downloading", "Progress"]

Progress = Callable[[int, "int | None"], None]
BLOCK = 1 << 16


def _hf_token() -> str | None:
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        return token
    try:
        from huggingface_hub import get_token
    except ImportError:
        return None
    try:
        return get_token()
    except Exception:  # noqa: BLE001 - no token is the ordinary case
        return None


def _request(url: str, start: int) -> urllib.request.Request:
    req = urllib.request.Request(url, headers={"User-Agent": "segcore"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    host = urlparse(url).hostname or ""
    if host == "huggingface.co" or host.endswith(".huggingface.co"):
        token = _hf_token()
        if token:
            req.add_header("Authorization", f"Bearer {token}")
    return req


def _download(url: str, part: Path, progress: Progress | None, timeout: float) -> None:
    """``url`` into ``part``, continuing what ``part`` holds already."""
    have = part.stat().st_size if part.is_file() else 0
    try:
        resp = urllib.request.urlopen(_request(url, have), timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:   # the part is whole already: the server has no more
            return
        raise
    with resp:
        if have and resp.status != 206:   # the Range was ignored: the whole file again
            have = 0
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        with open(part, "ab" if have else "wb") as f:
            got = have
            if progress:
                progress(got, total)
            while True:
                block = resp.read(BLOCK)
                if not block:
                    break
                f.write(block)
                got += len(block)
                if progress:
                    progress(got, total)
            f.flush()
            os.fsync(f.fileno())
    if total is not None and got < total:
        raise ConnectionError(f"the connection closed after {got} of {total} bytes")


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(target: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(target), threading.Lock())


def fetch(model: str, w, *, offline: bool | None = None, progress: Progress | None = None,
          timeout: float = 20.0) -> Path:
    """Download ``w`` (published weights of registry entry ``model``) into the cache folder and
    return its path (a file, or a folder for a folder entry). Raises :class:`WeightsError` with
    one line naming the file and the folder where it cannot (offline, no public download, the
    site unreachable or refusing, a checksum that does not match)."""
    target = checkpoint_dir() / w.file_name

    def missing(why: str) -> WeightsError:
        return WeightsError(missing_message(model, w.file_name, why, w.files))

    if is_offline(offline):
        raise missing("offline: download not attempted")
    if download_url(w) is None:
        raise missing("this model has no public download")
    files = [(download_url(w, f), target / f, expected_check(w, f), f"{w.file_name}/{f}") for f in w.files] \
        if w.files else [(download_url(w), target, expected_check(w), w.file_name)]
    with _lock(target):
        for url, dest, check, name in files:
            if dest.is_file():   # fetched meanwhile (another caller), or a folder's file already here
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.with_name(dest.name + ".part")
            try:
                _download(url, part, progress, timeout)
            except urllib.error.HTTPError as e:
                if e.code in (401, 403) and w.gated:
                    raise missing(f"download refused: {w.gated}") from None
                raise missing(f"download failed: HTTP {e.code} from {urlparse(url).hostname}") from None
            except (urllib.error.URLError, OSError, ConnectionError) as e:
                # The part stays: the next try continues it.
                reason = getattr(e, "reason", e)
                host = urlparse(url).hostname
                why = (f"{host} cannot be reached" if isinstance(e, urllib.error.URLError)
                       else f"{reason.__class__.__name__}, {part.stat().st_size if part.is_file() else 0} bytes kept "
                            "to continue from")
                raise missing(f"download failed: {why}") from None
            bad = mismatch(part, check)
            if bad is not None:
                part.unlink(missing_ok=True)
                label, got, want = bad
                raise WeightsError(f"download of {name} for {model} refused: its {label} {got[:12]}... is not the "
                                   f"published {want[:12]}... (damaged or another file; deleted); try again, or "
                                   f"put the file in {checkpoint_dir()}")
            os.replace(part, dest)
    return target


class Download:
    """A download running in the background: ``received`` / ``total`` bytes, ``fraction`` (None
    while the size is unknown), ``done`` (an Event), then ``path`` or ``error``."""

    def __init__(self, model: str, w):
        self.model, self.weights = model, w
        self.target = checkpoint_dir() / w.file_name
        self.received, self.total = 0, None
        self.path: Path | None = None
        self.error: Exception | None = None
        self.done = threading.Event()
        self.started = time.monotonic()

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.received / self.total)

    @property
    def ok(self) -> bool:
        return self.done.is_set() and self.error is None

    def describe(self) -> str:
        """``"downloading mobile_sam.pt: 12.3 of 38.8 MB (32%)"``, for a status line."""
        mb = self.received / 1e6
        if self.total:
            return (f"downloading {self.weights.file_name}: {mb:.1f} of {self.total / 1e6:.1f} MB "
                    f"({100 * self.fraction:.0f}%)")
        return f"downloading {self.weights.file_name}: {mb:.1f} MB"

    def wait(self, timeout: float | None = None) -> Path:
        if not self.done.wait(timeout):
            raise TimeoutError(f"the download of {self.weights.file_name} took over {timeout} s")
        if self.error is not None:
            raise self.error
        return self.path

    def _progress(self, received: int, total: int | None) -> None:
        self.received, self.total = received, total

    def _run(self, offline) -> None:
        try:
            self.path = fetch(self.model, self.weights, offline=offline, progress=self._progress)
        except Exception as e:  # noqa: BLE001 - handed to whoever polls
            self.error = e
        finally:
            self.done.set()


_running: dict[str, Download] = {}
_running_guard = threading.Lock()


def start(model: str, w, *, offline: bool | None = None) -> Download:
    """The background download of ``w``: the one already running or done (a failed one is
    started again), else a new one."""
    key = str(checkpoint_dir() / w.file_name)
    with _running_guard:
        d = _running.get(key)
        if d is not None and not (d.done.is_set() and d.error is not None):
            return d
        d = _running[key] = Download(model, w)
    threading.Thread(target=d._run, args=(offline,), daemon=True, name=f"segcore-fetch-{w.file_name}").start()
    return d


def downloading(w) -> Download | None:
    """The background download of ``w`` in this process (running, done or failed), or None."""
    with _running_guard:
        return _running.get(str(checkpoint_dir() / w.file_name))
