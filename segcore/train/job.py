"""Training a dataset's own model in a child process, one at a time per dataset.

``start_training(ds, model=..., minutes=...)`` checks the request, then starts
``python -m segcore.train.job PROGRESS`` with fewer torch threads than the machine has cores
(default: all but one) and a lower priority, so the process that asked (the app) keeps a
core for its clicks and saves. The child trains with :func:`segcore.train.train` and keeps
its state in ``PROGRESS``, a small JSON file beside the checkpoint in the dataset's
``.segcore/models/`` folder, rewritten atomically after each epoch and every few seconds:

``{"name": "trained:<stem>", "model": ARCH, "state": "running" | "done" | "failed" |
"stopped", "epoch", "loss", "val_miou", "best_miou", "history": [{"epoch", "loss",
"miou"}], "time_left" (s), "message", "pid", ...}``

Stopping writes ``<stem>.stop``; the child stops at its next batch, keeping the best
checkpoint (``<stem>.pth``) and the latest (``<stem>.last.pth``). A child that dies is
reported ``failed`` with the end of its log (``<stem>.log``). The checkpoint carries its
classes, so ``load_model(ARCH, weights=<stem>.pth)`` predicts with the dataset's classes;
:func:`trained_models` lists a dataset's models by the name the app's menu and the CLI use,
``trained:<stem>``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..dataset import Dataset
from ..errors import FormatError, ModelError, SegcoreError
from ..fileio import write_text
from ..models.trained import PREFIX, TrainedModel, models_dir, resolve_trained, trained_models
from ..models.trained import _read, records as _records  # noqa: F401 (kept names)

__all__ = ["start_training", "stop_training", "training_status", "running_training", "trained_models",
           "resolve_trained", "models_dir", "TrainingBusy", "TrainedModel", "PREFIX", "STATES",
           "DEFAULT_MODEL"]

STATES = ("running", "done", "failed", "stopped")
#: What the app's panel trains by default: on 10 CamVid scenes from random weights, 1 core,
#: PSPNet-ResNet18 reached the highest mIoU in a short budget (README, Training).
DEFAULT_MODEL = "pspnet_resnet18"
WRITE_EVERY_S = 3.0

_started: dict[str, subprocess.Popen] = {}   # progress path -> child started by this process
_guard = threading.Lock()


class TrainingBusy(SegcoreError):
    """A training runs on this dataset already."""


def _write(path: Path, rec: dict) -> None:
    write_text(path, json.dumps(rec, indent=1), keep_backup=False)


def _alive(path: Path, rec: dict) -> bool:
    proc = _started.get(str(path))
    if proc is not None:
        return proc.poll() is None
    pid = rec.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _settled(path: Path, rec: dict) -> dict:
    """The record, with a child that died while running reported as failed."""
    if rec.get("state") == "running" and not _alive(path, rec):
        log = path.with_suffix(".log")
        try:
            tail = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()][-1:]
        except OSError:
            tail = []
        rec = {**rec, "state": "failed", "time_left": 0,
               "message": f"the training process ended unexpectedly{': ' + tail[0] if tail else ''}"}
        _write(path, rec)
    return rec


def running_training(ds: Dataset) -> dict | None:
    """The record of the training running on ``ds``, or None."""
    for path, rec in reversed(_records(ds)):
        rec = _settled(path, rec)
        if rec.get("state") == "running":
            return rec
    return None


def training_status(ds: Dataset) -> dict:
    """The latest training of ``ds`` (running, or the last one), with ``time_left`` in
    seconds; ``{"state": "none"}`` where none was ever started."""
    records = _records(ds)
    if not records:
        return {"state": "none", "message": "no training on this dataset yet"}
    path, rec = records[-1]
    for p, r in reversed(records):
        if r.get("state") == "running":
            path, rec = p, r
            break
    return _settled(path, rec)


def _busy_message(rec: dict) -> str:
    left = rec.get("time_left")
    when = f", about {max(1, round(left / 60))} min left" if isinstance(left, (int, float)) and left > 0 else ""
    return (f"a training runs on this dataset already: {rec['name']} ({rec.get('model')}), epoch "
            f"{rec.get('epoch', 0)}{when}; wait for it or stop it")


def _default_threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, n - 1)


def start_training(ds: Dataset, *, model: str = DEFAULT_MODEL, minutes: float | None = 10.0,
                   epochs: int | None = None, statuses=("reviewed", "edited"), include_predicted: bool = False,
                   val_share: float = 0.1, size: int = 256, batch_size: int = 4, threads: int | None = None,
                   seed: int = 0, nice: int = 10) -> dict:
    """Start training ``model`` on the dataset's items of ``statuses`` in a child process;
    returns its first record. A budget of ``minutes`` (or ``epochs``, or both: whichever
    ends first). Raises :class:`TrainingBusy` while another runs on the dataset, and a
    one-line SegcoreError for a request that cannot train."""
    from ..models.registry import get_model_spec
    from .data import labelled_items

    spec = get_model_spec(model)
    if not spec.trainable:
        raise ModelError(f"model {model} has no network to train; choose e.g. {DEFAULT_MODEL}")
    if ds.label_set is None or len(ds.label_set) < 2:
        raise FormatError("the dataset needs at least two classes to train on; add classes first")
    statuses = tuple(s for s in ("reviewed", "edited", "predicted") if s in set(statuses or ()))
    if include_predicted and "predicted" not in statuses:
        statuses += ("predicted",)
    if not statuses:
        raise FormatError("choose the items to train on: reviewed, edited and/or predicted")
    if not minutes and not epochs:
        raise ModelError("give a time budget in minutes or a number of epochs")
    if minutes is not None and minutes < 0 or epochs is not None and epochs < 0:
        raise ModelError("the time budget and the epochs cannot be negative")
    if not 0 <= val_share < 0.9:
        raise ModelError("the held-out share is between 0 and 0.9")
    items = labelled_items(ds, statuses=statuses)
    if len(items) < 2:
        raise FormatError(f"{len(items)} item{'s are' if len(items) != 1 else ' is'} {' or '.join(statuses)}: "
                          "label at least 2 (better 10) before training")
    with _guard:
        busy = running_training(ds)
        if busy is not None:
            raise TrainingBusy(_busy_message(busy))
        folder = models_dir(ds)
        folder.mkdir(parents=True, exist_ok=True)
        k = 1
        while any((folder / f"{model}-{k}{ext}").exists() for ext in (".json", ".pth")):
            k += 1
        stem = f"{model}-{k}"
        progress = folder / f"{stem}.json"
        source = getattr(ds, "json_path", ds.root)
        images = ds.image_path(0).parent if hasattr(ds, "json_path") and len(ds) else None
        n_val = 0 if not val_share else max(1, round(val_share * len(items)))
        rec = {
            "name": PREFIX + stem, "model": model, "state": "running", "pid": None, "started": time.time(),
            "dataset": str(source), "images": str(images) if images else None, "checkpoint": f"{stem}.pth",
            "minutes": minutes or None, "epochs": int(epochs) if epochs else None, "statuses": list(statuses),
            "val_share": float(val_share), "size": int(size), "batch_size": int(batch_size), "seed": int(seed),
            "threads": int(threads or _default_threads()), "nice": int(nice),
            "train_items": len(items) - n_val, "val_items": n_val,
            "epoch": 0, "loss": None, "val_miou": None, "best_miou": None, "history": [],
            "time_left": (minutes or 0) * 60 or None, "message": "starting",
        }
        _write(progress, rec)
        (folder / f"{stem}.stop").unlink(missing_ok=True)
        env = dict(os.environ, OMP_NUM_THREADS=str(rec["threads"]), MKL_NUM_THREADS=str(rec["threads"]),
                   PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                               os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        with open(progress.with_suffix(".log"), "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "segcore.train.job", str(progress)], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, env=env, close_fds=True)
        _started[str(progress)] = proc
        rec["pid"] = proc.pid
        cur = _read(progress) or rec
        if cur.get("pid") is None and cur.get("state") == "running":   # the child may have written already
            cur["pid"] = proc.pid
            _write(progress, cur)
        return cur


def stop_training(ds: Dataset, wait: float = 0.0) -> dict:
    """Ask the running training to stop (it keeps its best checkpoint); its record, after
    waiting up to ``wait`` seconds for it to end. ``{"state": "none"}`` if none runs."""
    rec = running_training(ds)
    if rec is None:
        return training_status(ds)
    stem = rec["name"][len(PREFIX):]
    folder = models_dir(ds)
    write_text(folder / f"{stem}.stop", "stop\n", keep_backup=False)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        cur = training_status(ds)
        if cur.get("state") != "running":
            return cur
        time.sleep(0.2)
    return training_status(ds)


def wait_for(ds: Dataset, timeout: float) -> dict:
    """The record once the latest training is no longer running (or ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        rec = training_status(ds)
        if rec.get("state") != "running" or time.monotonic() > deadline:
            return rec
        time.sleep(0.5)


# -- the child ------------------------------------------------------------------------------
def _child(progress: Path) -> int:
    rec = _read(progress)
    if rec is None:
        print(f"error: {progress} is no training record", file=sys.stderr)
        return 1
    rec["pid"] = os.getpid()
    try:
        os.nice(int(rec.get("nice", 10)))
    except (OSError, AttributeError):
        pass
    import torch

    torch.set_num_threads(int(rec.get("threads", 1)))
    from ..dataset import open_dataset
    from .loop import train

    stop_file = progress.with_suffix(".stop")
    budget = float(rec["minutes"]) * 60 if rec.get("minutes") else None
    t0 = time.time()
    last_write = [0.0]

    def save(**changes):
        rec.update(changes)
        if budget is not None and rec.get("state") == "running":
            rec["time_left"] = max(0.0, round(budget - (time.time() - t0), 1))
        rec["elapsed"] = round(time.time() - t0, 1)
        _write(progress, rec)
        last_write[0] = time.monotonic()

    def on_batch(epoch, step, steps, loss):
        if stop_file.exists():
            raise KeyboardInterrupt
        if time.monotonic() - last_write[0] > WRITE_EVERY_S:
            save(message=f"epoch {epoch + 1}, batch {step + 1} of {steps}")

    def on_epoch(stats):
        row = {"epoch": stats["epoch"], "loss": round(stats["loss"], 5)}
        if "miou" in stats:
            row["miou"] = round(stats["miou"], 5)
        rec["history"].append(row)
        best = max((h["miou"] for h in rec["history"] if "miou" in h), default=None)
        save(epoch=stats["epoch"], loss=row["loss"], val_miou=row.get("miou"), best_miou=best,
             message=f"epoch {stats['epoch']} done")

    save(message="reading the items")
    try:
        ds = open_dataset(rec["dataset"], images=rec.get("images"))
        epochs = int(rec["epochs"]) if rec.get("epochs") else 1_000_000
        result = train(ds, progress.with_suffix(".pth"), model=rec["model"], epochs=epochs,
                       minutes=rec.get("minutes"), size=rec["size"], batch_size=rec["batch_size"],
                       val_split=rec["val_share"], seed=rec["seed"], statuses=rec["statuses"],
                       on_batch=on_batch, on_epoch=on_epoch)
    except SegcoreError as e:
        save(state="failed", time_left=0, message=str(e))
        return 1
    except Exception as e:  # the app shows it; the log has the traceback
        import traceback

        traceback.print_exc()
        save(state="failed", time_left=0, message=f"{type(e).__name__}: {e}")
        return 1
    finally:
        stop_file.unlink(missing_ok=True)
        for bak in progress.parent.glob(progress.stem + "*.pth.bak"):   # the previous epochs' files
            bak.unlink(missing_ok=True)
    state = "stopped" if result.interrupted else "done"
    if result.best is None:
        save(state=state, time_left=0, message="stopped before the first epoch ended: no model was kept")
    else:
        save(state=state, time_left=0, start=result.start,
             message=f"{result.epochs_done} epochs in {result.seconds / 60:.1f} min; best val mIoU "
                     f"{rec.get('best_miou') if rec.get('best_miou') is not None else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
