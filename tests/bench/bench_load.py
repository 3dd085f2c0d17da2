"""Load test: 8 concurrent clients x 10 rounds of upload (1 MP) -> apply an edit ->
export COCO against one app process. Zero failed calls; every export holds its client's edit
and nobody else's; the server's memory after the run within 150 MB of its memory after a
warm-up round; p50 / p95 latency per endpoint.

Run: python -m pytest -s tests/bench/bench_load.py   (CLIENTS=16 ROUNDS=5 to change the load)
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import free_port  # noqa: E402
from loadtest import rss_mb, run_load, start_app, summary  # noqa: E402


def test_load(tmp_path):
    clients, rounds = int(os.environ.get("CLIENTS", 8)), int(os.environ.get("ROUNDS", 10))
    port = free_port()
    proc = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        _, fail0, _ = run_load(url, tmp_path, clients=clients, rounds=1)     # warm-up
        assert not fail0, fail0
        warm = rss_mb(proc.pid)
        lat, failures, wrong = run_load(url, tmp_path, clients=clients, rounds=rounds)
        after = rss_mb(proc.pid)
        print(f"\n{clients} clients x {rounds} rounds: {len(failures)} failed calls, {len(wrong)} wrong exports; "
              f"server RSS after warm-up {warm:.0f} MB, after the run {after:.0f} MB ({after - warm:+.0f} MB)")
        print(summary(lat))
        assert not failures, failures[:5]
        assert not wrong, wrong[:5]
        assert after - warm < 150
    finally:
        proc.terminate()
        proc.wait(timeout=30)
