"""The canvas value an answer sends the page (demo/canvas.py for_page): the large fields the
page has are left out, the others go as their changes (a picture's box of changed pixels as
runs, the object rows and outlines that changed), and what the page then holds equals the
whole value, pixel for pixel. Data: a copy of ../shared/data/coco-24."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from copies import coco24_copy

TEDDY = "000000000612.jpg"          # coco-24: teddy bears touching each other


def _rgba(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA"))


def page_after(page: dict, answer: dict) -> dict:
    """What the page holds after ``answer``, as static/canvas/protocol.js keeps it: the large
    fields left out are the ones it had, a ``delta`` is applied (object rows by id, outlines,
    a picture's box of changed pixels); pictures as RGBA arrays."""
    from demo.canvas import BIG_FIELDS, LAYERS

    now = {k: page[k] for k in BIG_FIELDS if k in page}
    now.update({k: (_rgba(v) if k in LAYERS and v else v) for k, v in answer.items() if k != "delta"})
    d = answer.get("delta", {})
    if "objects" in d:
        by = {r["id"]: r for r in page["objects"]}
        by.update({r["id"]: r for r in d["objects"].get("rows", [])})
        now["objects"] = [by[i] for i in d["objects"].get("ids", [r["id"] for r in page["objects"]])]
    if "outlines" in d:
        now["outlines"] = {**page["outlines"], **d["outlines"].get("set", {})}
        for k in d["outlines"].get("drop", []):
            del now["outlines"][k]
    for k in LAYERS:
        if k in d:
            p = d[k]
            runs = np.array(p["runs"]).reshape(-1, 2)
            colours = {int(i): c for i, c in p["colours"].items()}
            box = np.repeat([colours[i] for i in runs[:, 0]], runs[:, 1], axis=0).reshape(p["h"], p["w"], 4)
            pic = page[k].copy()
            pic[p["y"]:p["y"] + p["h"], p["x"]:p["x"] + p["w"]] = box
            now[k] = pic
    return now


def test_an_answer_to_the_page_sends_only_what_changed(shared_data, tmp_path):
    """The canvas value's large fields (demo/canvas.py BIG_FIELDS): an answer to the page's
    request leaves out those unchanged since the value the page says it shows (its ``seq``) and
    sends the changes of the others (``delta``); what the page then holds equals the whole
    value, pixel for pixel. A page behind (an answer it never got) is sent everything; API
    answers are always whole."""
    from demo.actions import out
    from demo.canvas import BIG_FIELDS
    from demo.session import new_session
    from demo.session import serve as serve_dataset
    from demo.views import canvas_value

    def same(held: dict, whole: dict):
        for k in BIG_FIELDS:
            want = _rgba(whole[k]) if k in ("mask", "edges") and whole[k] else whole[k]
            if isinstance(want, np.ndarray):
                assert np.array_equal(held[k], want), k
            else:
                assert held[k] == want, k

    app = new_session(serve_dataset(coco24_copy(shared_data, tmp_path)))
    ws = app.workspace
    ws.open(ws.ds.index_of(TEDDY))
    _, whole, _, _ = out(app)                                   # an API answer, or another event's
    assert set(BIG_FIELDS) <= set(whole) and whole["mask"] and whole["objects"] and "delta" not in whole
    page = page_after({}, whole)
    _, nothing, _, _ = out(app, ack=1, have=whole["seq"])       # the page shows it: nothing big again
    assert not (set(BIG_FIELDS) | {"delta"}) & set(nothing) and nothing["seq"] > whole["seq"]
    s = ws.session
    top = s.objects.items[-1]
    s.select(top.id)
    _, picked, _, _ = out(app, ack=2, have=nothing["seq"])      # a selection: its outline and row
    assert "selected_outline" in picked and picked["selected_outline"] and "mask" not in picked
    assert [r["id"] for r in picked["delta"]["objects"]["rows"]] == [top.id] and "ids" not in picked["delta"]["objects"]
    page = page_after(page, picked)
    same(page, canvas_value(app))
    s.move_vertex(top.id, 0, *np.add(top.polygon.vertices()[0][0], 6))      # one vertex: its box of pixels
    _, moved, _, _ = out(app, ack=3, have=picked["seq"])
    d = moved["delta"]
    assert {"mask", "edges", "objects", "outlines"} <= set(d) and not {"mask", "edges", "objects"} & set(moved)
    assert [r["id"] for r in d["objects"]["rows"]] == [top.id] and list(d["outlines"]["set"]) == [str(top.id)]
    x0, y0, x1, y1 = top.box
    m = d["mask"]                                               # inside the object's box (grown by 6)
    assert x0 - 6 <= m["x"] and m["x"] + m["w"] <= x1 + 6 and y0 - 6 <= m["y"] and m["y"] + m["h"] <= y1 + 6
    assert len(str(moved)) < len(str(whole)) / 3
    page = page_after(page, moved)
    same(page, canvas_value(app))
    other = s.objects.items[0].id
    s.delete(other)
    _, gone, _, _ = out(app, ack=4, have=moved["seq"])          # a delete: the order, an outline dropped
    assert gone["delta"]["objects"]["ids"] == [r["id"] for r in canvas_value(app)["objects"]]
    assert gone["delta"]["outlines"]["drop"] == [str(other)]
    page = page_after(page, gone)
    same(page, canvas_value(app))
    _, behind, _, _ = out(app, ack=5, have=picked["seq"])       # the page missed an answer: all of it
    assert set(BIG_FIELDS) <= set(behind) and "delta" not in behind
    same(page_after({}, behind), canvas_value(app))
    ws.close()
