"""The served app leaves nothing behind and tells the browser no server path.

A real server (``python -m demo``) with uploads, stopped with SIGTERM as a container stop
does: no session folder, no copy of an upload in Gradio's cache; a killed server's folder is
removed by the next start. The canvas photo is reached only by its session's key.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import ROOT, free_port

PORTRAIT = ROOT / "assets" / "portrait.jpg"


def _wait_up(url: str, proc, seconds: float = 90) -> None:
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the app exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError("the app did not start")


def _files_like(folder, data: bytes) -> list:
    digest = hashlib.sha256(data).digest()
    return [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size == len(data)
            and hashlib.sha256(p.read_bytes()).digest() == digest]


@pytest.mark.slow       # a server process of its own (python -m demo)
def test_sigterm_leaves_no_session_folder_and_no_gradio_copy(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # a folder of a server that was killed outright: its process is gone
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp / "segcore-app-stale"
    (stale / "app-x" / "session-y").mkdir(parents=True)
    (stale / "owner.pid").write_text(str(dead.pid))
    (stale / "app-x" / "session-y" / "upload.jpg").write_bytes(PORTRAIT.read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    env.update(TMPDIR=str(tmp), PYTHONWARNINGS="ignore")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([sys.executable, "-m", "demo", "--port", str(port), "--offline"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_up(url, proc)
        assert not stale.exists()                       # the killed server's folder went at start
        c = Client(url, verbose=False)
        value, _, status, _ = c.predict([handle_file(str(PORTRAIT))], api_name="/add_images")
        assert "portrait" in status
        # the browser is told no server path: the photo is under the session's key
        assert value["photo"].startswith("/segcore/photo/") and str(tmp) not in str(value)
        assert "/" not in value["item"]
        with urllib.request.urlopen(url.rstrip("/") + value["photo"]) as r:
            assert r.headers["content-type"] == "image/jpeg"
            data = r.read()
        import io
        assert Image.open(io.BytesIO(data)).size == Image.open(PORTRAIT).size
        key = value["photo"].split("/")[3]
        other = value["photo"].replace(key, "x" * len(key))
        try:
            urllib.request.urlopen(url.rstrip("/") + other)
            raise AssertionError("another key saw the photo")
        except urllib.error.HTTPError as e:
            assert e.code == 404
        with pytest.raises(AppError, match="no classes yet"):   # nothing labelled: the script is told
            c.predict("coco_json", api_name="/export")
        assert _files_like(tmp, PORTRAIT.read_bytes())    # the upload is in the app's folders now
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not list(tmp.glob("segcore-app-*")), list(tmp.rglob("*"))
    assert not _files_like(tmp, PORTRAIT.read_bytes()), "a copy of the upload outlived the server"
