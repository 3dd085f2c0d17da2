"""Accounts of the people who work on a dataset: names, roles and password hashes in one JSON
file (``segcore users add NAME --role reviewer --file users.json``; ``segcore-app --users
users.json`` asks for them at login).

The file::

    {"version": 1, "users": {"alice": {"role": "reviewer", "password": "scrypt$16384$8$1$<salt>$<hash>"}}}

Passwords are never stored: only a salted scrypt hash (:func:`hashlib.scrypt`, n=2**14, r=8,
p=1: about 50 ms and 16 MB per check, which slows guessing), compared in constant time. Roles:
``annotator`` (edits) and ``reviewer`` (edits, and sets or clears "reviewed"). The file is
read again when it changes, so a user added while the app runs can log in at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import FormatError
from .fileio import write_text

__all__ = ["ROLES", "User", "Users", "hash_password", "verify_password"]

ROLES = ("annotator", "reviewer")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
_N, _R, _P = 2 ** 14, 8, 1


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password`` with a fresh salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` string); constant time."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        salt_b, want = base64.b64decode(salt), base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt_b, n=int(n), r=int(r), p=int(p),
                             dklen=len(want), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


_DUMMY = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(secrets.token_hex(8))
    return _DUMMY


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def reviewer(self) -> bool:
        return self.role == "reviewer"


class Users:
    """The accounts in ``path`` (the file may not exist yet: no accounts)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()
        self._stamp = None
        self._users: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._load()

    def _file_stamp(self):
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _load(self) -> None:
        with self._lock:
            stamp = self._file_stamp()
            if stamp == self._stamp and (stamp is not None or not self._users):
                return
            self._stamp = stamp
            if stamp is None:
                self._users = {}
                return
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                users = data["users"]
                if not isinstance(users, dict):
                    raise TypeError
            except (OSError, ValueError, KeyError, TypeError):
                raise FormatError(f"{self.path} is not a users file ({{\"users\": {{name: {{role, password}}}}}}); "
                                  "make one with: segcore users add NAME --file "
                                  f"{self.path.name}") from None
            self._users = {str(k): v for k, v in users.items() if isinstance(v, dict)
                           and v.get("role") in ROLES and isinstance(v.get("password"), str)}

    # -- reading -------------------------------------------------------------------------------
    def __len__(self) -> int:
        self._load()
        return len(self._users)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._users)

    def get(self, name: str) -> User | None:
        self._load()
        rec = self._users.get(name)
        return None if rec is None else User(name, rec["role"])

    def check(self, name: str, password: str) -> User | None:
        """The user, if ``password`` is theirs; None otherwise (as slow for an unknown name)."""
        self._load()
        rec = self._users.get(str(name))
        ok = verify_password(str(password), rec["password"] if rec else _dummy_hash())
        return User(str(name), rec["role"]) if ok and rec else None

    # -- changing ------------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str) -> User:
        """Add ``name`` (or change their role and password)."""
        if not NAME.match(str(name)):
            raise FormatError(f"a user name is letters, digits and . _ @ - (at most 64), starting with a letter "
                              f"or digit; not {name!r}")
        if role not in ROLES:
            raise FormatError(f"a role is {' or '.join(ROLES)}, not {role!r}")
        if len(password) < MIN_PASSWORD:
            raise FormatError(f"a password has at least {MIN_PASSWORD} characters")
        self._load()
        self._users[name] = {"role": role, "password": hash_password(password)}
        self._save()
        return User(name, role)

    def remove(self, name: str) -> None:
        self._load()
        if name not in self._users:
            raise FormatError(f"there is no user {name!r} in {self.path}")
        del self._users[name]
        self._save()

    def _save(self) -> None:
        text = json.dumps({"version": 1, "users": self._users}, indent=1, sort_keys=True)
        write_text(self.path, text + "\n", keep_backup=False)
        os.chmod(self.path, 0o600)      # hashes only, but nobody else need read them
        self._stamp = self._file_stamp()
