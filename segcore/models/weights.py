"""Weights on this machine: the cache folder, checksums, files the user names, reading checkpoints.

Order (worked out by :mod:`segcore.models.resolve`): a file the user names; the torch hub
cache (``$TORCH_HOME/hub/checkpoints``, where torchvision keeps its downloads, same file
names); a download (:mod:`segcore.models.fetch`) where the network allows and the user has not
forbidden it (``offline=True`` or ``SEGCORE_OFFLINE=1``). When none works, a
:class:`WeightsError` names the missing file and the folder to put it in, within seconds.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WeightsError

if TYPE_CHECKING:  # torch loads only when a checkpoint is read
    import torch
    from torch import nn

__all__ = ["checkpoint_dir", "is_offline", "read_state_dict", "read_checkpoint", "load_state", "LoadReport",
           "sha256_of", "digests", "git_blob_sha1", "download_url", "expected_check", "verify", "mismatch", "named_weights",
           "missing_message", "identify", "install", "URL_ENV", "CHECK_ENV", "NAMED_ENV"]

#: Keys used only in training (torchvision's auxiliary heads): not needed to predict.
TRAINING_ONLY_PREFIXES = ("aux_classifier.",)


def checkpoint_dir() -> Path:
    """The torch hub cache's checkpoint folder (honours ``TORCH_HOME`` and ``XDG_CACHE_HOME``,
    as torch.hub does; computed without importing torch unless it is loaded already)."""
    import sys

    if "torch" in sys.modules:   # honours torch.hub.set_dir too
        return Path(sys.modules["torch"].hub.get_dir()) / "checkpoints"
    home = os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch")
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints"


def is_offline(offline: bool | None = None) -> bool:
    if offline is not None:
        return offline
    return os.environ.get("SEGCORE_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def sha256_of(path: str | os.PathLike) -> str:
    return digests(path)[0]


_digests: dict = {}
_digests_lock = threading.Lock()


def digests(path: str | os.PathLike) -> tuple[str, str]:
    """``(sha256, git blob sha1)`` of a file, in one read; remembered per (path, size, mtime),
    so a 40 MB checkpoint checked at every load is read once per process."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _digests_lock:
        if key in _digests:
            return _digests[key]
    sha256 = hashlib.sha256()
    blob = hashlib.sha1(b"blob %d\0" % st.st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha256.update(block)
            blob.update(block)
    out = sha256.hexdigest(), blob.hexdigest()
    with _digests_lock:
        _digests[key] = out
    return out


def git_blob_sha1(path: str | os.PathLike) -> str:
    """Git's blob id of a file: ``sha1(b"blob <size>\\0" + data)`` (``git hash-object``)."""
    return digests(path)[1]


#: Environment variables: a mirror of the download site (``<base>/<file name>``), and checksums
#: that replace the registry's (``FILE=SHA256`` separated by ``os.pathsep``) for a mirror that
#: serves other files (tests serve random-weight checkpoints this way).
URL_ENV, CHECK_ENV = "SEGCORE_WEIGHTS_URL", "SEGCORE_WEIGHTS_SHA256"
#: Files of one's own for registry entries: ``NAME=FILE`` (or a published file name alone),
#: separated by ``os.pathsep``; ``SEGCORE_SAM_WEIGHTS`` is its older name, still read.
NAMED_ENV, NAMED_ENV_OLD = "SEGCORE_WEIGHTS", "SEGCORE_SAM_WEIGHTS"


def download_url(w, file: str | None = None) -> str | None:
    """Where ``w`` (a :class:`~segcore.models.registry.Weights`) is downloaded from: its
    published url, or ``$SEGCORE_WEIGHTS_URL/<file name>`` where that is set. ``file``: one
    file of a folder entry."""
    base = os.environ.get(URL_ENV, "").strip()
    if base:
        rel = w.file_name if file is None else f"{w.file_name}/{file}"
        return base.rstrip("/") + "/" + rel
    if w.url is None:
        return None
    return w.url if file is None else w.url.rstrip("/") + "/" + file


def expected_check(w, file: str | None = None) -> tuple[str, str] | None:
    """The checksum a file of ``w`` must have: ``$SEGCORE_WEIGHTS_SHA256``'s entry for its file
    name where there is one, else the registry's (a folder's files: not checked)."""
    name = w.file_name if file is None else f"{w.file_name}/{file}"
    for part in filter(None, os.environ.get(CHECK_ENV, "").split(os.pathsep)):
        fname, _, hexdigest = part.rpartition("=")
        if fname == name and hexdigest:
            return ("sha256", hexdigest.strip().lower())
    return w.check if file is None else None


def mismatch(path: Path, check: tuple[str, str] | None) -> tuple[str, str, str] | None:
    """``(what, got, expected)`` where ``path`` lacks the checksum ``check``, else None."""
    if check is None:
        return None
    kind, want = check
    sha, blob = digests(path)
    got = {"git-blob-sha1": blob, "sha256": sha, "sha256-prefix": sha[:len(want)]}[kind]
    return None if got == want else ("git blob id" if kind == "git-blob-sha1" else "sha256", got, want)


def verify(path: Path, check: tuple[str, str] | None, what: str, file_name: str) -> None:
    """Refuse ``path`` (one line) unless it has the checksum ``check``."""
    bad = mismatch(path, check)
    if bad is not None:
        label, got, want = bad
        raise WeightsError(f"{what} {path} is not the published {file_name} ({label} {got[:12]}..., expected "
                           f"{want[:12]}...): it is damaged or another file; delete it and put the published "
                           "file there, or name your own file as the weights")


def named_weights(names=None) -> tuple[dict[str, Path], list[str]]:
    """``({entry name: file}, [parts that name no existing file or no entry])`` from
    ``SEGCORE_WEIGHTS`` and ``SEGCORE_SAM_WEIGHTS`` (both empty where unset). ``names``: the
    registry's ``{published file name: entry name}``, to read a part that is a file alone."""
    if names is None:
        from .registry import specs

        names = {s.published.file_name: s.name for s in specs() if s.published is not None}
    entries = set(names.values())
    found, bad = {}, []
    for env in (NAMED_ENV_OLD, NAMED_ENV):
        for part in filter(None, os.environ.get(env, "").split(os.pathsep)):
            name, _, path = part.rpartition("=")
            path = Path(path).expanduser()
            name = name or names.get(path.name, "")
            if name in entries and path.exists():
                found[name] = path
            else:
                bad.append(part)
    return found, bad


def missing_message(model: str, file_name: str | None, why: str, files=()) -> str:
    """The one line said when weights are not here: the file (a folder: its files), the folder
    to put it in, and why."""
    if file_name is None:
        return f"model {model} has no weights file; give one"
    what = f"{file_name}/ ({', '.join(files)})" if files else file_name
    return f"weights for {model} not found: put {what} in {checkpoint_dir()} or give the file ({why})"


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint: plain state dicts and ``{"state_dict"|"model": ...}`` wrappers,
    with ``module.`` prefixes (DataParallel) stripped."""
    return read_checkpoint(path)[0]


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict | None]:
    """``(state dict, meta)``: ``meta`` is what a segcore checkpoint says of itself (model,
    classes, input size, training figures), None for any other checkpoint."""
    import torch

    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsError(f"{path} is not a readable PyTorch checkpoint ({e.__class__.__name__}); "
                           "give a .pth file saved with torch.save(model.state_dict(), ...)") from None
    meta = None
    if isinstance(obj, dict) and obj.get("format") == "segcore-checkpoint":
        meta = {k: v for k, v in obj.items() if k not in ("state_dict", "optimizer")}
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not any(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightsError(f"{path} holds no state dict (no tensors found)")
    out = {}
    for k, v in obj.items():
        if not isinstance(v, torch.Tensor):
            continue
        while k.startswith("module."):
            k = k[len("module."):]
        out[k] = v
    return out, meta


@dataclass
class LoadReport:
    """What a checkpoint gave a model: tensors loaded and those left out, with why."""

    source: str
    loaded: int = 0
    mismatched: list[str] = field(default_factory=list)   # same name, other shape (e.g. head)
    missing: list[str] = field(default_factory=list)      # the model has it, the file does not
    unexpected: list[str] = field(default_factory=list)   # the file has it, the model does not
    ignored: list[str] = field(default_factory=list)      # training-only tensors

    @property
    def complete(self) -> bool:
        return not (self.mismatched or self.missing or self.unexpected)

    def summary(self) -> str:
        parts = [f"loaded {self.loaded} tensors from {self.source}"]
        if self.mismatched:
            parts.append(f"skipped {len(self.mismatched)} of another shape ({_names(self.mismatched)})")
        if self.missing:
            parts.append(f"{len(self.missing)} missing, left at initial values ({_names(self.missing)})")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unused ({_names(self.unexpected)})")
        return "; ".join(parts)


def _names(keys: list[str], n: int = 3) -> str:
    return ", ".join(keys[:n]) + (", ..." if len(keys) > n else "")


def load_state(net: nn.Module, state: dict[str, torch.Tensor], source: str) -> LoadReport:
    """Load what fits; a head for another number of classes is skipped and reported."""
    own = net.state_dict()
    report = LoadReport(source=source)
    fitting = {}
    for k, v in state.items():
        if k.startswith(TRAINING_ONLY_PREFIXES) and k not in own:
            report.ignored.append(k)
        elif k not in own:
            report.unexpected.append(k)
        elif own[k].shape != v.shape:
            report.mismatched.append(k)
        else:
            fitting[k] = v
    report.missing = [k for k in own if k not in fitting and k not in report.mismatched]
    if not fitting:
        raise WeightsError(f"{source} does not fit this model: none of its tensor names match")
    net.load_state_dict(fitting, strict=False)
    report.loaded = len(fitting)
    return report


def identify(path: str | os.PathLike, hint: str | None = None) -> tuple[str | None, bool]:
    """Which registry entry a weights file a user gives is for: ``(entry name or None, whether it
    is that entry's published file)``. The published file is known by its checksum; else by its
    published file name; else ``hint`` (the entry the user has chosen) where it takes weights."""
    from .registry import specs

    path = Path(path)
    by_name = None
    for spec in specs():
        w = spec.published
        if w is None or w.files:
            continue
        if w.check is not None and mismatch(path, expected_check(w)) is None:
            return spec.name, True
        if by_name is None and w.file_name == path.name:
            by_name = spec.name
    if by_name is not None:
        return by_name, False
    if hint:
        from .registry import get

        try:
            if get(hint).needs_weights:
                return hint, False
        except Exception:  # noqa: BLE001 - an unknown hint names nothing
            pass
    return None, False


def install(path: str | os.PathLike, name: str) -> Path:
    """Copy the published file ``path`` of entry ``name`` into the cache folder (atomically), where
    every tool finds it from now on; returns where it is."""
    import shutil

    from ..fileio import write_with
    from .registry import get

    dest = checkpoint_dir() / get(name).published.file_name
    if dest.is_file() and digests(dest) == digests(path):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_with(dest, lambda p: shutil.copyfile(path, p), keep_backup=False)
    return dest
