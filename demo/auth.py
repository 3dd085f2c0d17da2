"""Accounts in the app: ``segcore-app --users FILE`` (see :mod:`segcore.accounts`).

Gradio's own login page asks for a name and password (``launch(auth=...)``, checked against the
file's scrypt hashes). Gradio guards most of its routes itself, but not all of them (its
heartbeat, cancel, reset and stream routes take a session's ids instead), and not the routes
an app adds (``/segcore/photo/...``): so one middleware refuses every request that carries no
logged-in user, whatever its route, except :data:`PUBLIC`, the login page and its static
files, which hold nothing of the dataset. The middleware answers 401.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re

from segcore.accounts import User, Users
from segcore.errors import FormatError

__all__ = ["PUBLIC", "RefuseAnonymous", "protect", "user_of", "needs_accounts", "load_users"]

#: Paths open to a request without a logged-in user, and why (see README, "Working as a team").
PUBLIC = {
    "/": "the login page (Gradio sends it with no components, no data and no dataset name; its "
         "description of the API is taken out)",
    "/login": "where the login page sends the name and password",
    "/logout": "forgets the browser's login",
    "/gradio_api/login_check": "answers 401 to anyone not logged in (the login page asks it)",
    "/gradio_api/startup-events": "Gradio's launch calls it once, without a login, to run start-up events; "
                                  "it answers true or false and nothing else",
    "/favicon.ico": "the icon of the login page",
    "/manifest.json": "the page's web-app manifest (Gradio's name and icons only)",
    "/robots.txt": "asks search engines not to index the page",
    "/theme.css": "the login page's styles",
    "/gradio_api/theme.css": "the login page's styles",
}
#: Path prefixes open to anyone: Gradio's front-end code and fonts (the same for every Gradio
#: app; the login page is built from them).
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")


def load_users(path) -> Users:
    """The accounts of ``--users FILE``; a missing or empty file is an error that says how to
    make one (the server would otherwise start with nobody able to log in)."""
    users = Users(path)
    if not len(users):
        raise FormatError(f"{users.path} has no users; add one with: segcore users add NAME --role reviewer "
                          f"--file {users.path}")
    return users


def needs_accounts(host: str, share: bool) -> str | None:
    """Why this server would be reachable by others (then it needs ``--users``), or None."""
    if share:
        return "--share puts the app on a public link"
    h = (host or "").strip().strip("[]")
    if h in ("localhost", ""):
        return None
    try:
        if ipaddress.ip_address(h).is_loopback:
            return None
    except ValueError:
        pass
    return f"--host {host} listens beyond this machine"


def _user(scope) -> str | None:
    """The logged-in user of a request (Gradio's login cookie), as Gradio finds it."""
    app = scope.get("app")
    tokens = getattr(app, "tokens", None)
    if tokens is None:
        return None
    cookie_id = getattr(app, "cookie_id", "")
    cookies = {}
    for k, v in scope.get("headers") or []:
        if k == b"cookie":
            for part in v.decode("latin-1").split(";"):
                name, _, value = part.strip().partition("=")
                cookies[name] = value
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return tokens.get(token) if token else None


def is_public(path: str) -> bool:
    path = path.rstrip("/") or "/"
    return path in PUBLIC or any(path.startswith(p.rstrip("/")) and (path + "/").startswith(p)
                                 for p in PUBLIC_PREFIXES)


class RefuseAnonymous:
    """ASGI middleware: a request (HTTP or websocket) without a logged-in user gets 401, except
    on :data:`PUBLIC` paths."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or _user(scope) is not None:
            return await self.app(scope, receive, send)
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        if is_public(path):
            if path == "/" and scope["type"] == "http":
                return await self.app(scope, receive, _without_api_info(send))
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        body = json.dumps({"detail": "Not authenticated: log in first"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)
_NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};</script>'


def _without_api_info(send):
    """``send`` for the login page: Gradio writes its description of every API endpoint (names,
    parameters) into the page it sends anyone; the login form needs none of it."""
    head, body = {}, []

    async def wrapped(message):
        if message["type"] == "http.response.start":
            head.update(message)
            return
        if message["type"] != "http.response.body":
            return await send(message)
        body.append(message.get("body", b""))
        if message.get("more_body"):
            return
        data = _API_INFO.sub(lambda m: _NO_API_INFO, b"".join(body), count=1)
        headers = [(k, v) for k, v in head.get("headers", []) if k.lower() != b"content-length"]
        await send({**head, "headers": [*headers, (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})
    return wrapped


def protect(demo, users: Users):
    """``demo`` launched with Gradio's login page checking ``users``, and every route refused to
    a request without a logged-in user. ``demo.segcore_users`` keeps the accounts for roles."""
    from starlette.middleware import Middleware

    launch = demo.launch
    demo.segcore_users = users

    def check(name: str, password: str) -> bool:
        return users.check(name, password) is not None

    @functools.wraps(launch)
    def launch_with_accounts(*args, **kwargs):
        kw = dict(kwargs.get("app_kwargs") or {})
        kw["middleware"] = [*kw.get("middleware", []), Middleware(RefuseAnonymous)]
        kwargs["app_kwargs"] = kw
        kwargs["auth"] = check
        kwargs.setdefault("auth_message", "Log in with the name and password your team lead gave you.")
        return launch(*args, **kwargs)

    demo.launch = launch_with_accounts
    return demo


def user_of(request, users: Users | None) -> User:
    """Who makes a request: the logged-in account, or ``local`` (a reviewer) without accounts."""
    name = getattr(request, "username", None) if request is not None else None
    if users is None or not name:
        return User("local", "reviewer")
    return users.get(name) or User(name, "annotator")
