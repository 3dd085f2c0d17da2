"""What the canvas shows of an item's objects: the object list's rows, the boundaries between
objects (so objects of one class are told apart), and the selected object's outline."""

from __future__ import annotations

import cv2
import numpy as np

from segcore.objects.polygon import rule_offset
from segcore.objects.rows import row_of
from segcore.render import outline_mask

from .layers import Layer
from .session import AppSession

#: Object boundaries on the canvas: a dark line over the mask (the rest clear).
EDGE_RGBA = (17, 24, 39, 200)


def rows(session, known: dict | None = None) -> list[dict] | None:
    """An item's objects, top first (None: an item without objects): id, class (its name), cls
    (its index), area (pixels), share (of the image, 0-1), bbox (COCO x, y, w, h), order (draw
    order, 0 at the bottom), hidden, locked, selected, vertices (a polygon object's; 0: a mask).
    ``known``: the rows made before, by id (a session's; updated): an object unchanged since
    keeps its row (the same dict), which the answers to the page then leave out."""
    if session is None or not session.has_objects:
        return None
    objects, selected = session.objects, session.selected
    known = {} if known is None else known
    out, made = [], {}
    top = len(objects) - 1
    for k in range(top, -1, -1):
        o = objects.items[k]
        key = (o, objects.label_set, k, o.id == selected)    # the object and classes as they are, its place
        got = known.get(o.id)
        if got is None or got[0][0] is not o or got[0][1] is not key[1] or got[0][2:] != key[2:]:
            r = row_of(objects, o, k, selected)
            got = (key, {"id": r.id, "class": r.name, "cls": r.cls, "area": r.area, "share": round(r.share, 6),
                         "bbox": [round(float(v), 2) for v in r.bbox], "order": r.order, "hidden": r.hidden,
                         "locked": r.locked, "selected": r.selected, "vertices": r.vertices})
        made[o.id] = got
        out.append(got[1])
    known.clear()
    known.update(made)
    return out


def selected_polygon(session) -> dict | None:
    """The selected polygon object's vertices for the canvas's handles: ``{id, parts, shape,
    offset}`` (file coordinates; ``offset`` turns them into image coordinates where pixel ``x``
    spans ``[x, x + 1]``); None where none is selected, it is hidden or it is a mask."""
    k = session.selected
    if k is None:
        return None
    o = session.objects.get(k)
    if o.hidden or o.polygon is None:
        return None
    return {"id": o.id, **o.polygon.to_dict()}


def polygon_offset(session) -> float:
    """Where a new polygon's vertices are, relative to image coordinates (as ``offset`` above)."""
    return rule_offset(session.objects.polygon_rule)


def edges_layer(app: AppSession, session, shape: tuple[int, int]) -> Layer:
    """The boundaries of the visible objects (between two objects, and between an object and
    what no object covers) as a two-colour picture of ``shape`` (the mask's size), made once
    per state of the objects and of the classes hidden by their eyes (their objects' boundary
    pixels are not drawn, as their pixels are not)."""
    objects = session.objects
    hidden = frozenset(app.hidden)
    cached = app.edges_cache
    if cached[0] is objects and cached[1] == (shape, hidden):
        return cached[2]
    top = objects.top_map(visible_only=True)
    if top.shape != shape:
        top = cv2.resize(top.astype(np.float32), shape[::-1], interpolation=cv2.INTER_NEAREST).astype(np.int32)
    thick = max(1, round(max(shape) / 1000))
    drawn = top >= 0
    if hidden:
        of_hidden = np.asarray([o.cls in hidden for o in objects.items] + [False])     # (-1: the last)
        drawn &= ~of_hidden[top]
    edge = outline_mask((top + 1).astype(np.uint16), thick) & drawn
    layer = Layer(edge.view(np.uint8), [0, 0, 0, *EDGE_RGBA[:3]] + [0] * (768 - 6), bytes([0, EDGE_RGBA[3]]),
                  bits=1)
    app.edges_cache = (objects, (shape, hidden), layer)
    return layer


def selected_outline(session) -> list:
    """The selected object's outlines (outer and holes), ``[[[x, y], ...], ...]`` image pixels
    (the centres of its boundary pixels); [] where none is selected or it is hidden."""
    k = session.selected
    if k is None or session.objects.get(k).hidden:
        return []
    return [c.tolist() for c in session.outline(k)]


def outlines(app: AppSession, session) -> dict:
    """Every visible object's outlines, simplified to within a pixel, ``{id: [[x0, y0, x1, y1,
    ...], ...]}``: the page draws a selection at once from them (Tab, a row's click), before the
    answer brings the exact one. An object's are made once (objects unchanged by a step are
    the same objects)."""
    objects = session.objects
    done, out = app.outlines_cache
    if done is objects:
        return out
    known = app.outline_parts
    parts, out = {}, {}
    for o in objects:
        got = known.get(o.id)
        if got is None or got[0] is not o:
            got = (o, [cv2.approxPolyDP(c.reshape(-1, 1, 2), 1.0, True).reshape(-1).tolist() for c in o.mask.contours()])
        parts[o.id] = got
        if not o.hidden:
            out[str(o.id)] = got[1]
    app.outline_parts, app.outlines_cache = parts, (objects, out)
    return out


def overlap_pixels(app: AppSession, session) -> int:
    """How many pixels two or more objects cover (the legend's overlap row)."""
    objects = session.objects
    if app.overlap[0] is not objects:
        app.overlap = (objects, objects.overlap_count())
    return app.overlap[1]
