"""Accounts: scrypt hashes (never the password), roles, the ``segcore users`` command, and the
app refusing to go on a network without them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from segcore.accounts import Users, verify_password
from segcore.errors import FormatError

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, stdin: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "segcore", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_hashes_roles_and_reload(tmp_path):
    path = tmp_path / "users.json"
    users = Users(path)
    users.add("alice", "reviewer", "correct horse")
    text = path.read_text()
    assert "correct horse" not in text and "scrypt$" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert users.check("alice", "correct horse").role == "reviewer"
    assert users.check("alice", "correct hors") is None and users.check("mallory", "correct horse") is None
    # Two adds of one password give different hashes (salted).
    users.add("bob", "annotator", "correct horse")
    recs = json.loads(path.read_text())["users"]
    assert recs["alice"]["password"] != recs["bob"]["password"]
    assert verify_password("correct horse", recs["bob"]["password"])
    # Another process adds a user: a running app sees them at once.
    Users(path).add("carol", "annotator", "another pass")
    assert users.check("carol", "another pass") is not None and users.names() == ["alice", "bob", "carol"]
    users.remove("bob")
    assert Users(path).get("bob") is None
    with pytest.raises(FormatError, match="role"):
        users.add("dave", "admin", "long enough")
    with pytest.raises(FormatError, match="8 characters"):
        users.add("dave", "annotator", "short")
    with pytest.raises(FormatError, match="user name"):
        users.add("da ve", "annotator", "long enough")


def test_users_command(tmp_path):
    f = tmp_path / "team.json"
    r = cli("users", "add", "rita", "--role", "reviewer", "--file", str(f), stdin="rita-password\n")
    assert r.returncode == 0, r.stderr
    assert "added rita (reviewer)" in r.stdout
    assert cli("users", "add", "anna", "--file", str(f), stdin="anna-password\n").returncode == 0
    r = cli("users", "list", "--file", str(f))
    assert r.stdout.split("\n")[:2] == ["anna\tannotator", "rita\treviewer"]
    assert Users(f).check("rita", "rita-password") is not None
    r = cli("users", "add", "x", "--file", str(f), stdin="short\n")
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and r.stderr.startswith("error: ")
    r = cli("users", "remove", "anna", "--file", str(f))
    assert r.returncode == 0 and Users(f).names() == ["rita"]
    assert cli("users", "remove", "anna", "--file", str(f)).returncode == 1


@pytest.mark.parametrize("flags", [["--host", "0.0.0.0"], ["--share"]])
def test_app_on_a_network_needs_accounts(tmp_path, flags):
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False")
    r = subprocess.run([sys.executable, "-m", "demo", *flags, "--port", "9"], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 1
    line = r.stderr.strip()
    assert "\n" not in line and line.startswith("error: ") and "--users" in line and "--no-auth" in line


@pytest.mark.slow
def test_app_refuses_an_empty_users_file(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_ANALYTICS_ENABLED="False")
    r = subprocess.run([sys.executable, "-m", "demo", "--users", str(tmp_path / "none.json"), "--port", "9"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and "has no users" in r.stderr and "segcore users add" in r.stderr


def test_loopback_hosts_need_no_accounts():
    from demo.auth import needs_accounts

    assert needs_accounts("127.0.0.1", False) is None and needs_accounts("localhost", False) is None
    assert needs_accounts("::1", False) is None and needs_accounts("127.0.0.5", False) is None
    assert needs_accounts("0.0.0.0", False) and needs_accounts("192.168.1.4", False)
    assert needs_accounts("127.0.0.1", True)
