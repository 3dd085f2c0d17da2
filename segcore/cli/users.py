"""``users``: add, remove or list the accounts of ``segcore-app --users FILE``."""

from __future__ import annotations

import getpass
import sys

from ..errors import FormatError

HELP = "add, remove or list the accounts (names, roles, password hashes) that segcore-app --users reads"


def add_arguments(p) -> None:
    p.add_argument("action", choices=("add", "remove", "list"), help="what to do")
    p.add_argument("name", nargs="?", help="the user's name (add, remove)")
    p.add_argument("--file", required=True, help="the users file (made by the first add)")
    p.add_argument("--role", choices=("annotator", "reviewer"), default="annotator",
                   help="add: annotator (edits) or reviewer (also sets and clears reviewed); default annotator")


def _password(name: str) -> str:
    """From a prompt (twice) on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != first:
            raise FormatError("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    if not line:
        raise FormatError("no password given: type it at the prompt, or pipe it on standard input")
    return line.rstrip("\r\n")


def run(args) -> int:
    from ..accounts import Users

    users = Users(args.file)
    if args.action == "list":
        for name in users.names():
            print(f"{name}\t{users.get(name).role}")
        return 0
    if not args.name:
        raise FormatError(f"users {args.action} needs a NAME")
    if args.action == "remove":
        users.remove(args.name)
        print(f"removed {args.name} from {users.path}")
        return 0
    existed = users.get(args.name) is not None
    u = users.add(args.name, args.role, _password(args.name))
    print(f"{'updated' if existed else 'added'} {u.name} ({u.role}) in {users.path}")
    return 0
