"""Team load: 8 clients x 5 rounds, all editing the same two items of one served dataset (a VOC
root of camvid-20, four clients per item), each logged in with an account of its own, against
one app process started here.

Each round every client paints a rectangle of its own (its class, a place no one else paints)
and, every other round, a strip all four clients of its item paint with their own classes: the
first save wins, each later one must get the conflict (one line naming the item), which the
client settles (keep mine or take theirs, alternately). At the end: every client's own
rectangles are on disk (0 edits lost), every conflict a client was told of is a ``conflict``
version in the item's history and the other way round, the strips are one client's class each,
and the server's memory after the run is within 150 MB of its memory after a warm-up round.
p50 / p95 per call.

Run: python -m pytest -s tests/bench/bench_team.py   (CLIENTS=8 ROUNDS=5 to change the load)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from camvid import camvid_voc, truth_of  # noqa: E402
from conftest import SHARED_DATA, free_port  # noqa: E402
from loadtest import rss_mb, summary  # noqa: E402

ROOT = HERE.parent
PASSWORD = "team-password"


def own_rect(k: int, r: int) -> tuple[int, int, int, int]:
    """Client ``k``'s rectangle of round ``r`` (x0, y0, x1, y1): no other client's meets it."""
    x0, y0 = 10 + (k // 2) * 110, 10 + r * 58
    return x0, y0, x0 + 100, y0 + 48


def strip(r: int) -> tuple[int, int, int, int]:
    """The strip every client of an item paints in round ``r`` (odd rounds)."""
    x0 = 10 + (r // 2) * 150
    return x0, 310, x0 + 140, 350


def polygon(rect):
    x0, y0, x1, y1 = rect
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def start_server(dataset: Path, users: Path, port: int) -> subprocess.Popen:
    from gradio_client import Client

    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", SEGCORE_OFFLINE="1", PYTHONUNBUFFERED="1",
               PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "demo", str(dataset), "--port", str(port), "--users", str(users)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            Client(f"http://127.0.0.1:{port}/", auth=("u0", PASSWORD), verbose=False)
            return proc
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read())
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start")


def run_team(url: str, names: list[str], clients: int, rounds: int, first_round: int = 0):
    """Returns ``(latencies, failures, conflicts {item: [message]}, painted [(k, r)])``."""
    from gradio_client import Client

    lat: dict[str, list[float]] = {"open_item": [], "polygon": [], "resolve_conflict": []}
    failures, painted = [], []
    conflicts: dict[str, list[str]] = {n: [] for n in names}
    lock = threading.Lock()
    # The clients of an item paint its strip together: saves that race, as a team's do.
    together = [threading.Barrier(len(range(i, clients, 2)), timeout=120) for i in range(2)]

    def timed(name, call):
        t = time.perf_counter()
        out = call()
        with lock:
            lat[name].append(time.perf_counter() - t)
        return out

    def one(k):
        item = names[k % 2]
        cls = 1 + k
        try:
            c = Client(url, auth=(f"u{k}", PASSWORD), verbose=False)
            timed("open_item", lambda: c.predict(item, api_name="/open_item"))
        except Exception as e:
            with lock:
                failures.append(f"client {k}: {e}")
            return
        for r in range(first_round, first_round + rounds):
            try:
                timed("polygon", lambda: c.predict(polygon(own_rect(k, r % 5)), str(cls), "any",
                                                   api_name="/polygon"))
                with lock:
                    painted.append((k, r % 5))
                if r % 2 == 1:
                    together[k % 2].wait()
                    try:
                        timed("polygon", lambda: c.predict(polygon(strip(r % 5)), str(cls), "any",
                                                           api_name="/polygon"))
                    except Exception as e:
                        message = str(e)
                        if item not in message or "Keep mine" not in message:
                            raise
                        with lock:
                            conflicts[item].append(message)
                        choice = "mine" if k % 2 else "theirs"
                        timed("resolve_conflict", lambda: c.predict(choice, api_name="/resolve_conflict"))
            except Exception as e:
                with lock:
                    failures.append(f"client {k} round {r}: {str(e)[:300]}")
                return

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, failures, conflicts, painted


def solo(url: str, item: str, rounds: int) -> list[float]:
    """Seconds per /polygon of one client alone on an item nobody else edits."""
    from gradio_client import Client

    c = Client(url, auth=("u0", PASSWORD), verbose=False)
    c.predict(item, api_name="/open_item")
    out = []
    for r in range(rounds):
        t = time.perf_counter()
        c.predict(polygon(own_rect(r % 8, r % 5)), "3", "any", api_name="/polygon")
        out.append(time.perf_counter() - t)
    return out


@pytest.mark.skipif(not (SHARED_DATA / "camvid-20").is_dir(), reason="../shared/data/camvid-20 is absent")
def test_team(tmp_path):
    from segcore.accounts import Users
    from segcore.dataset import open_dataset

    clients, rounds = int(os.environ.get("CLIENTS", 8)), int(os.environ.get("ROUNDS", 5))
    root = camvid_voc(SHARED_DATA / "camvid-20", tmp_path / "camvid")
    ds = open_dataset(root)
    names = ds.names[:2]
    for i in range(2):
        ds.write_labels(i, truth_of(root, names[i]), tool="ground truth")
    users = Users(tmp_path / "users.json")
    for k in range(clients):
        users.add(f"u{k}", "annotator", PASSWORD)
    port = free_port()
    proc = start_server(root, users.path, port)
    url = f"http://127.0.0.1:{port}/"
    try:
        _, fail0, _, _ = run_team(url, names, clients, rounds=1, first_round=0)        # warm-up
        assert not fail0, fail0
        alone = solo(url, ds.names[2], rounds=8)        # the baseline: one client, an item of its own
        warm = rss_mb(proc.pid)
        before = {n: len([v for v in open_dataset(root).item_versions(i) if v.kind == "conflict"])
                  for i, n in enumerate(names)}
        lat, failures, conflicts, painted = run_team(url, names, clients, rounds=rounds, first_round=1)
        after = rss_mb(proc.pid)
        ds = open_dataset(root)
        lost = []
        for k, r in sorted(set(painted)):
            x0, y0, x1, y1 = own_rect(k, r)
            labels = ds.read_labels(k % 2)
            if not (labels[y0:y1 + 1, x0:x1 + 1] == 1 + k).all():
                lost.append((k, r))
        recorded = {n: len([v for v in ds.item_versions(i) if v.kind == "conflict"]) - before[n]
                    for i, n in enumerate(names)}
        told = {n: len(m) for n, m in conflicts.items()}
        strips = []
        for i in range(2):
            labels = ds.read_labels(i)
            for r in range(1, 5, 2):
                x0, y0, x1, y1 = strip(r)
                vals = np.unique(labels[y0:y1 + 1, x0:x1 + 1])
                strips.append(len(vals) == 1 and 1 <= int(vals[0]) <= clients)
        print(f"\n{clients} clients x {rounds} rounds on 2 items: {len(failures)} failed calls, "
              f"{len(painted)} rectangles painted, {len(lost)} lost; conflicts told {told}, recorded {recorded}; "
              f"server RSS after warm-up {warm:.0f} MB, after the run {after:.0f} MB ({after - warm:+.0f} MB)")
        print(summary(lat))
        p50 = statistics.median(lat["polygon"])
        print(f"polygon alone (one client, its own item): p50 {statistics.median(alone):.2f} s; "
              f"in the team {p50:.2f} s ({p50 / statistics.median(alone):.1f}x)")
        assert not failures, failures[:5]
        assert len(painted) == clients * rounds and not lost, lost[:5]
        assert told == recorded and sum(told.values()) > 0
        assert all(strips)
        assert after - warm < 150
    finally:
        proc.terminate()
        proc.wait(timeout=60)
