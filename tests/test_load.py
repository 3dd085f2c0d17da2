"""A short load test (slow: the full run): 3 clients x 2 rounds against one app process."""

import pytest

from conftest import free_port
from loadtest import rss_mb, run_load, start_app


@pytest.mark.slow       # an app process of its own, 1-megapixel uploads (the app's sessions: test_app_client)
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
