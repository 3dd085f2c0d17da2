"""Finding and loading checkpoints.

Order: a file the user names; the torch hub cache (``$TORCH_HOME/hub/checkpoints``, where
torchvision keeps its downloads, same file names); a download where the network allows and
the user has not forbidden it (``offline=True`` or ``SEGCORE_OFFLINE=1``). When none works, a
:class:`WeightsError` names the missing file and the folder to put it in, within seconds.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from ..errors import WeightsError

if TYPE_CHECKING:  # torch loads only when a checkpoint is read
    import torch
    from torch import nn

__all__ = ["checkpoint_dir", "is_offline", "find_weights", "read_state_dict", "read_checkpoint",
           "load_state", "LoadReport", "sha256_of"]

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
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_sha256(path: Path, sha256: str | None, what: str) -> None:
    if sha256 is None:
        return
    got = sha256_of(path)
    if got != sha256:
        raise WeightsError(f"{what} {path} has the wrong checksum (sha256 {got[:12]}..., expected "
                           f"{sha256[:12]}...): it is damaged or another file; delete it and put the "
                           "published file there")


def find_weights(model: str, file_name: str | None, url: str | None = None,
                 explicit: str | os.PathLike | None = None, offline: bool | None = None,
                 progress: bool = False, connect_timeout: float = 3.0, sha256: str | None = None) -> Path:
    """Path of the checkpoint for ``model``, downloading it only as a last resort.

    ``sha256``: the published checksum; a cached or downloaded file that does not match is
    refused, never used. A file the user names is theirs (fine-tuned, say) and not checked.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights file {path} does not exist; check its path")
        return path
    if file_name is None:
        raise WeightsError(f"model {model} has no weights file; give one")
    cached = checkpoint_dir() / file_name
    if cached.is_file():
        _check_sha256(cached, sha256, "the cached weights file")
        return cached
    where = (f"weights for {model} not found: put {file_name} in {checkpoint_dir()} "
             f"or give the file")
    if url is None:
        raise WeightsError(f"{where} (this model has no public download)")
    if is_offline(offline):
        raise WeightsError(f"{where} (offline: download not attempted)")
    host = urlparse(url).hostname or ""
    try:
        # urllib has no connect timeout of its own in torch.hub: probe first so we never hang.
        socket.create_connection((host, 443), timeout=connect_timeout).close()
    except OSError:
        raise WeightsError(f"{where} (download failed: {host} cannot be reached)") from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    part = cached.with_name(cached.name + ".part")
    import torch

    try:
        torch.hub.download_url_to_file(url, str(part), progress=progress)
        _check_sha256(part, sha256, "the downloaded file")
    except WeightsError:
        part.unlink(missing_ok=True)
        raise
    except Exception as e:  # any network failure becomes one actionable line
        part.unlink(missing_ok=True)
        raise WeightsError(f"{where} (download failed: {e.__class__.__name__})") from None
    os.replace(part, cached)
    return cached


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
