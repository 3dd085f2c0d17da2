"""The app with accounts (``--users``): every route refuses an anonymous request, route by route
(read from the running server, so a route Gradio adds later is checked too); the API works
with gradio_client's ``auth=``; roles hold."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client

from segcore.accounts import Users
from segcore.dataset import open_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import free_port, scene_dataset  # noqa: E402

PASSWORDS = {"rita": "rita-password", "anna": "anna-password"}


@pytest.fixture(scope="module")
def team_app(tmp_path_factory):
    """``(url, dataset folder, demo)``: the app with two accounts, rita (reviewer) and anna."""
    from demo.app import build_demo

    base = tmp_path_factory.mktemp("team")
    folder = scene_dataset(base / "scenes")
    users = Users(base / "users.json")
    users.add("rita", "reviewer", PASSWORDS["rita"])
    users.add("anna", "annotator", PASSWORDS["anna"])
    demo = build_demo(folder, users=users).queue(default_concurrency_limit=4)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield f"http://127.0.0.1:{port}", folder, demo
    demo.close()


def client(url, name) -> Client:
    return Client(url + "/", auth=(name, PASSWORDS[name]), verbose=False)


def all_routes(app) -> list[tuple[str, str]]:
    """``(method, path template)`` of every route the server answers, included routers too."""
    out = []

    def walk(routes):
        for r in routes:
            if hasattr(r, "original_router"):
                walk(r.original_router.routes)
            elif getattr(r, "path", None) is not None:
                for m in sorted(getattr(r, "methods", None) or ["GET"]):
                    out.append((m, r.path))
    walk(app.routes)
    return sorted(set(out))


def test_every_route_refuses_an_anonymous_request(team_app):
    from demo.auth import PUBLIC, is_public

    url, folder, demo = team_app
    # What a logged-in user has, to ask for it anonymously: a photo, a file in Gradio's cache.
    rita = client(url, "rita")
    value, _, _ = rita.predict("scene2", api_name="/open_item")
    photo = value["photo"]
    assert photo.startswith("/segcore/photo/")
    with httpx.Client(base_url=url, cookies=rita.cookies) as logged:
        assert logged.get(photo).status_code == 200
        up = logged.post("/gradio_api/upload", files={"files": ("x.png", (folder / "scene0.png").read_bytes())})
        assert up.status_code == 200
        cached = up.json()[0]
        assert logged.get(f"/gradio_api/file={cached}").status_code == 200
    api_names = [n.lstrip("/") for n in rita.view_api(return_format="dict", print_info=False)["named_endpoints"]]
    assert {"apply_edit", "open_item", "export", "mark_reviewed"} <= set(api_names)

    def concrete(path: str) -> list[str]:
        if "{api_name}" in path:
            return [path.replace("{api_name}", n).replace("{event_id}", "abc") for n in api_names]
        path = path.replace("{path_or_url:path}", cached).replace("{key}/{name}", photo.split("/photo/")[1])
        return [re.sub(r"\{[^}]+\}", "x", path)]

    refused, open_ = [], []
    with httpx.Client(base_url=url, timeout=30) as anon:
        for method, template in all_routes(demo.app):
            for path in concrete(template):
                r = anon.request(method, path, data={} if method == "POST" else None)
                if is_public(path):
                    open_.append(path)
                    assert r.status_code != 401 or path.rstrip("/").endswith("login_check"), path
                else:
                    assert r.status_code == 401, (method, path, r.status_code)
                    refused.append(path)
        # The few open paths give nothing of the dataset: the page is the login form.
        page = anon.get("/").text
        assert '"auth_required":true' in page.replace(" ", "") and "scenes" not in page
        assert not any(n in page for n in api_names)          # nor the API's description
        assert anon.post("/login", data={"username": "rita", "password": "wrong"}).status_code == 400
        # Spelled out, what the issue names: the page's API, each endpoint, photo, file, upload.
        for method, path in [("POST", "/gradio_api/queue/join"), ("GET", photo), ("GET", f"/gradio_api/file={cached}"),
                             ("POST", "/gradio_api/upload"), ("GET", "/config"), ("GET", "/gradio_api/info"),
                             ("POST", "/gradio_api/call/apply_edit"), ("GET", "/gradio_api/heartbeat/x"),
                             ("POST", "/gradio_api/cancel")]:
            assert anon.request(method, path).status_code == 401, path
    print(f"\n{len(refused)} refused; open: {sorted(set(open_))}")
    assert len(refused) > 60
    assert set(PUBLIC) >= {"/", "/login"}
    with pytest.raises(Exception):
        Client(url + "/", verbose=False).predict("scene1", api_name="/open_item")


def test_api_under_accounts_and_roles(team_app):
    url, folder, _ = team_app
    rita, anna = client(url, "rita"), client(url, "anna")
    anna.predict("scene1", api_name="/open_item")
    anna.predict({"pending": [{"points": [[10, 10], [60, 10]], "radius": 4, "cls": 1}]}, api_name="/apply_edit")
    with pytest.raises(Exception, match="Only a reviewer"):
        anna.predict(api_name="/mark_reviewed")
    ds = open_dataset(folder)
    assert ds.status(ds.index_of("scene1")) == "edited"
    assert ds.item_versions(ds.index_of("scene1"))[-1].user == "anna"
    rita.predict("scene1", api_name="/open_item")
    _, _, status = rita.predict(api_name="/mark_reviewed")
    assert "reviewed" in status and open_dataset(folder).status(ds.index_of("scene1")) == "reviewed"
    # An annotator's correction of a reviewed item sends it back to review.
    anna.predict({"pending": [{"points": [[10, 100], [60, 100]], "radius": 4, "cls": 2}]}, api_name="/apply_edit")
    assert open_dataset(folder).status(ds.index_of("scene1")) == "edited"
    labels = open_dataset(folder).read_labels(ds.index_of("scene1"))
    assert (labels[6:15, 10:61] == 1).all() and (labels[96:105, 10:61] == 2).all() and not (labels == 255).all()
    assert np.count_nonzero(labels) > 0
