"""Weights on first use: downloads from a local HTTP server standing in for the download site
(never the network), resumed after an interruption, refused when the checksum does not match,
with progress; offline, nothing is attempted and one line says which file to put where."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from contextlib import contextmanager

import pytest

from segcore.errors import WeightsError
from segcore.models import fetch
from segcore.models.registry import Weights
from segcore.models.weights import checkpoint_dir


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (name -> bytes) with HTTP Range; ``server.cut`` (name -> bytes)
    closes the first response of that file after so many bytes; ``server.corrupt`` flips a byte;
    ``server.ignore_range`` answers every request with the whole file; ``server.delay`` (s) is
    slept between 64 KB blocks (a slow site)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        name = self.path.lstrip("/")
        srv.requests.append((name, self.headers.get("Range")))
        data = srv.files.get(name)
        if data is None:
            self.send_error(404)
            return
        if name in srv.corrupt:
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        start = 0
        rng = self.headers.get("Range")
        if rng and not srv.ignore_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        limit = srv.cut.pop(name, None)
        sent = 0
        for i in range(0, len(body), 1 << 16):
            block = body[i:i + (1 << 16)]
            if limit is not None and sent + len(block) > limit:
                self.wfile.write(block[:limit - sent])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(block)
            sent += len(block)
            if srv.delay:
                time.sleep(srv.delay)


@contextmanager
def weights_server(files: dict, **kw):
    """A local download site: ``(base url, server)``; the server records ``requests``."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files, srv.requests = dict(files), []
    srv.cut, srv.corrupt, srv.ignore_range, srv.delay = dict(kw.get("cut", {})), set(kw.get("corrupt", ())), \
        kw.get("ignore_range", False), kw.get("delay", 0.0)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def online(monkeypatch, tmp_path):
    """Downloads allowed, into a cache folder of this test's own."""
    monkeypatch.delenv("SEGCORE_OFFLINE", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path


DATA = bytes(range(256)) * 4000   # ~1 MB
SHA = hashlib.sha256(DATA).hexdigest()


def entry(check=("sha256", SHA)):
    return Weights("published", file_name="model.bin", url="https://example.invalid/model.bin", check=check)


def test_a_download_lands_in_the_cache_folder_with_progress(online, monkeypatch):
    with weights_server({"model.bin": DATA}) as (url, srv):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        seen = []
        path = fetch.fetch("m", entry(), progress=lambda got, total: seen.append((got, total)))
    assert path == checkpoint_dir() / "model.bin" and path.read_bytes() == DATA
    assert seen[-1] == (len(DATA), len(DATA)) and [g for g, _ in seen] == sorted(g for g, _ in seen)
    assert not list(path.parent.glob("*.part"))


def test_a_damaged_download_is_refused_by_its_checksum(online, monkeypatch):
    with weights_server({"model.bin": DATA}, corrupt={"model.bin"}) as (url, _):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        with pytest.raises(WeightsError) as e:
            fetch.fetch("m", entry())
    msg = str(e.value)
    assert "refused" in msg and "model.bin" in msg and str(checkpoint_dir()) in msg and "\n" not in msg
    assert not (checkpoint_dir() / "model.bin").exists() and not list(checkpoint_dir().glob("*.part"))


def test_an_interrupted_download_resumes_where_it_stopped(online, monkeypatch):
    with weights_server({"model.bin": DATA}, cut={"model.bin": 300_000}) as (url, srv):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        with pytest.raises(WeightsError, match="bytes kept"):
            fetch.fetch("m", entry())
        part = checkpoint_dir() / "model.bin.part"
        assert part.stat().st_size == 300_000 and not (checkpoint_dir() / "model.bin").exists()
        path = fetch.fetch("m", entry())
    assert path.read_bytes() == DATA
    assert srv.requests == [("model.bin", None), ("model.bin", "bytes=300000-")]


def test_a_server_that_ignores_range_sends_the_whole_file_again(online, monkeypatch):
    with weights_server({"model.bin": DATA}, cut={"model.bin": 100_000}, ignore_range=True) as (url, _):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        with pytest.raises(WeightsError):
            fetch.fetch("m", entry())
        assert fetch.fetch("m", entry()).read_bytes() == DATA


def test_the_checksum_override_states_a_mirrors_own_file(online, monkeypatch):
    other = DATA[::-1]
    with weights_server({"model.bin": other}) as (url, _):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        with pytest.raises(WeightsError, match="refused"):
            fetch.fetch("m", entry())
        monkeypatch.setenv("SEGCORE_WEIGHTS_SHA256", f"model.bin={hashlib.sha256(other).hexdigest()}")
        assert fetch.fetch("m", entry()).read_bytes() == other


def test_offline_nothing_is_attempted_and_one_line_says_where(monkeypatch):
    monkeypatch.setenv("SEGCORE_OFFLINE", "1")
    with weights_server({"model.bin": DATA}) as (url, srv):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        t = time.perf_counter()
        with pytest.raises(WeightsError) as e:
            fetch.fetch("m", entry())
        assert time.perf_counter() - t < 1 and srv.requests == []
    msg = str(e.value)
    assert "model.bin" in msg and str(checkpoint_dir()) in msg and "offline" in msg and "\n" not in msg


def test_an_unreachable_site_is_one_line(online, monkeypatch):
    monkeypatch.setenv("SEGCORE_WEIGHTS_URL", "http://127.0.0.1:9")   # the discard port: nothing listens
    with pytest.raises(WeightsError, match="cannot be reached") as e:
        fetch.fetch("m", entry())
    assert "\n" not in str(e.value)


def test_a_folder_entry_fetches_each_of_its_files(online, monkeypatch):
    w = Weights("published", file_name="repo", url="https://example.invalid/repo", files=("config.json", "w.bin"))
    with weights_server({"repo/config.json": b"{}", "repo/w.bin": DATA}) as (url, _):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        path = fetch.fetch("m", w)
    assert path.is_dir() and (path / "w.bin").read_bytes() == DATA and (path / "config.json").read_bytes() == b"{}"


def test_a_background_download_reports_progress_and_is_shared(online, monkeypatch):
    with weights_server({"model.bin": DATA}, delay=0.02) as (url, srv):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        d = fetch.start("m", entry())
        assert fetch.start("m", entry()) is d            # one download per file, whoever asks
        deadline = time.monotonic() + 10
        while d.received == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not d.done.is_set() and "downloading model.bin" in d.describe()
        path = d.wait(30)
    assert d.ok and d.fraction == 1.0 and path.read_bytes() == DATA and len(srv.requests) == 1


@pytest.mark.slow      # a MobileSAM checkpoint made, served and loaded: 7 s of the default run
def test_auto_prompter_cli_fetches_mobile_sam_on_first_use(online, monkeypatch, tmp_path):
    """``segcore prompt`` with ``auto``: MobileSAM (a random-weight checkpoint the official
    package built, served with its own checksum stated) is downloaded, checked and used."""
    pytest.importorskip("mobile_sam")
    import numpy as np
    from PIL import Image

    from conftest import run_cli, textured_image
    from test_sam import make_sam_checkpoint

    from segcore.models.prompters.sam import load_sam

    ck = make_sam_checkpoint("mobile_sam", tmp_path)
    data = ck.read_bytes()
    rgb = textured_image(60, 80, seed=7)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    with weights_server({"mobile_sam.pt": data}) as (url, srv):
        monkeypatch.setenv("SEGCORE_WEIGHTS_URL", url)
        monkeypatch.setenv("SEGCORE_WEIGHTS_SHA256", f"mobile_sam.pt={hashlib.sha256(data).hexdigest()}")
        r = run_cli("prompt", str(tmp_path / "photo.png"), "--points", "40,30,1", "--out", str(tmp_path / "m.png"))
    assert r.returncode == 0, r.stderr
    assert "mobile_sam" in r.stdout and (checkpoint_dir() / "mobile_sam.pt").read_bytes() == data
    sam = load_sam("mobile_sam", weights=ck)
    sam.set_image(rgb)
    want = sam.predict([(40, 30, True)], multimask=True).mask
    assert np.array_equal(np.asarray(Image.open(tmp_path / "m.png")) > 0, want)
