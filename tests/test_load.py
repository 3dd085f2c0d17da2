"""A short load test in the default run: 3 clients x 2 rounds against one app process."""

from conftest import free_port
from loadtest import rss_mb, run_load, start_app


def test_concurrent_clients_keep_their_own_edits(tmp_path):
    port = free_port()
    proc = start_app(port)
    try:
        lat, failures, wrong = run_load(f"http://127.0.0.1:{port}/", tmp_path, clients=3, rounds=2)
        assert not failures, failures
        assert not wrong, wrong
        assert len(lat["export"]) == 6
        assert rss_mb(proc.pid) > 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
