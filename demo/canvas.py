"""The workspace canvas: a ``gr.HTML`` whose script (``static/canvas/*.js``, joined in the order
of :data:`PARTS`) draws the photo, the mask, click markers and pending brush strokes, and sends
what the user does to the server (one event, ``select``: :class:`CanvasEvent`, answered by
:mod:`demo.protocol`).

Why not ``gr.ImageEditor``: it sends the whole canvas as three PNGs the browser encodes on
every apply (2.4 s of a 3.7 s round trip at 1 MP measured here) and re-uploads them each time
it is given a new mask. Here a stroke travels as a polyline of a few hundred bytes, the server
draws it pixel-exact, and the mask comes back as one small palette PNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import gradio as gr

from .layers import Layer

TOOLS = [("add", "Add", "Q"), ("remove", "Remove", "E"), ("box", "Box", "X"), ("wand", "Wand", "W"),
         ("brush", "Brush", "B"), ("eraser", "Eraser", "N"), ("polygon", "Polygon", "P"), ("select", "Select", "V")]

TEMPLATE = """
<div class="sc-ws">
  <svg style="display:none" aria-hidden="true">
    <symbol id="sc-i-eye" viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/><circle cx="7" cy="5" r="1.8" fill="currentColor"/></symbol>
    <symbol id="sc-i-eye-off" viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M2 9L12 1" stroke="currentColor" stroke-width="1.4"/></symbol>
    <symbol id="sc-i-locked" viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/><path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" stroke-width="1.4"/></symbol>
    <symbol id="sc-i-open" viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/><path d="M3 5V3.5a2.5 2.5 0 0 1 5 0" fill="none" stroke="currentColor" stroke-width="1.4"/></symbol>
  </svg>
  <div class="sc-bar">
    {tools}
    <label title="Brush radius in image pixels ([ and ]; 0 paints a 1-pixel line)">size <input class="sc-size" type="range" min="0" max="60" value="6"></label>
    <label title="Magic wand: how far a colour may be from the clicked one (set for each photo)">tolerance <input class="sc-tol" type="range" min="0" max="120" value="16"></label>
    <label title="Mask opacity">mask <input class="sc-opacity" type="range" min="0" max="1" step="0.05" value="0.55"></label>
    <label title="Draw only the outlines of the mask's regions (O)">outline <input class="sc-outline" type="checkbox"></label>
  </div>
  <div class="sc-body">
    <div class="sc-stage"><div class="sc-view"><img class="sc-photo" alt=""><canvas class="sc-mask" width="0" height="0"></canvas><canvas class="sc-edges" width="0" height="0"></canvas><img class="sc-uncert" alt=""></div><canvas class="sc-draw"></canvas></div>
    <div class="sc-side">
      <label class="sc-opt" title="Which pixels a tool may change">overwrite <select class="sc-overwrite"><option value="unlocked">all but locked</option><option value="any">any pixel</option><option value="unlabelled">only unlabelled</option></select></label>
      <label class="sc-opt" title="What the eraser and Remove write">erase to <select class="sc-erase"></select></label>
      <input class="sc-filter" type="search" placeholder="filter classes ( / )" title="Type to filter the classes: the only one left is selected, Enter selects the first, Esc clears">
      <div class="sc-classes"></div><div class="sc-legend"></div>
      <div class="sc-objs">
        <div class="sc-objhead"><span class="sc-objcount">Objects</span><select class="sc-objfilter" title="Show the objects of one class"></select><button class="sc-new" type="button" title="New object (M): the next tool starts a new object of the selected class">+ new <kbd>M</kbd></button></div>
        <div class="sc-objlist"></div>
        <div class="sc-objbar"><select class="sc-objclass" title="The selected object's class (it keeps its id)"></select><button class="sc-fwd" type="button" title="Bring forward (above the next object it overlaps)">&#9650;</button><button class="sc-bwd" type="button" title="Send backward (below the next object it overlaps)">&#9660;</button><button class="sc-simp" type="button" title="Make this mask a polygon (Douglas-Peucker at 1 pixel): its vertices can then be dragged">&#11040;</button><button class="sc-del" type="button" title="Delete the object (Delete)">&times;</button></div>
      </div>
    </div>
  </div>
  <div class="sc-hint"></div>
</div>
""".format(tools="".join(f'<button class="sc-tool" data-tool="{t}" data-key="{key.lower()}" title="{label} ({key})">{label} <kbd>{key}</kbd></button>'
                         for t, label, key in TOOLS))

CSS = """
.sc-ws { display: flex; flex-direction: column; gap: 4px; }
.sc-bar { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; font-size: 13px; }
.sc-bar label { display: inline-flex; align-items: center; gap: 4px; margin-left: 8px; }
.sc-bar input[type=range] { width: 72px; }
.sc-tool { padding: 3px 8px; border: 1px solid #9ca3af; border-radius: 6px; background: #f9fafb; color: #111827; cursor: pointer; }
.sc-tool.sc-on { background: #2563eb; color: #fff; border-color: #1d4ed8; }
.sc-tool kbd { font-size: 10px; opacity: .75; }
.sc-body { display: flex; gap: 12px; align-items: flex-start; }
.sc-stage { position: relative; overflow: hidden; background: #1f2937; user-select: none; touch-action: none; flex: none; }
.sc-view { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
.sc-view img, .sc-stage canvas { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; max-width: none; }
.sc-stage img[src=""], .sc-stage img:not([src]) { visibility: hidden; }
.sc-mask { opacity: .55; image-rendering: pixelated; }
.sc-uncert { image-rendering: pixelated; }
.sc-side { width: 210px; flex: none; font-size: 13px; }
.sc-classes { max-height: 430px; overflow-y: auto; margin-top: 2px; }
.sc-filter { width: 100%; box-sizing: border-box; font-size: 12px; padding: 2px 6px; margin-top: 3px; border: 1px solid #9ca3af; border-radius: 4px; background: #fff; color: #111827; }
.sc-legend { border-top: 1px solid rgba(128,128,128,.3); margin-top: 4px; padding-top: 2px; font-size: 12px; opacity: .85; }
.sc-legend .sc-class { cursor: default; }
.sc-lock { border: none; background: none; cursor: pointer; padding: 0 2px; font-size: 12px; opacity: .35; flex: none; }
.sc-lock.sc-locked { opacity: 1; }
.sc-eye { border: none; background: none; cursor: pointer; padding: 0 2px; opacity: .55; flex: none; color: inherit; }
.sc-eye.sc-off { opacity: 1; color: #dc2626; }
.sc-eye svg { width: 14px; height: 10px; display: block; }
.sc-hidden .sc-name, .sc-hidden .sc-sw { opacity: .4; }
.sc-opt { display: flex; align-items: center; justify-content: space-between; gap: 4px; font-size: 12px; padding: 1px 6px; }
.sc-opt select { font-size: 12px; padding: 1px 2px; border: 1px solid #9ca3af; border-radius: 4px; background: #fff; color: #111827; width: 112px; }
.sc-lock svg { width: 11px; height: 12px; display: block; }
.sc-class { display: flex; align-items: center; gap: 6px; padding: 3px 6px; border-radius: 5px; cursor: pointer; }
.sc-class:hover { background: rgba(37, 99, 235, .12); }
.sc-class.sc-on { background: rgba(37, 99, 235, .25); font-weight: 600; box-shadow: inset 4px 0 0 var(--sc-col, #2563eb); }
.sc-sw { width: 14px; height: 14px; border: 1px solid #333; flex: none; }
input.sc-sw { padding: 0; margin: 0; cursor: pointer; background: none; box-sizing: border-box; }
input.sc-sw::-webkit-color-swatch-wrapper { padding: 0; }
input.sc-sw::-webkit-color-swatch { border: none; }
.sc-key { width: 12px; font-size: 11px; opacity: .7; text-align: right; flex: none; }
.sc-name { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.sc-n { font-size: 11px; opacity: .7; }
.sc-hint { font-size: 12px; opacity: .8; min-height: 16px; }
.sc-edges { image-rendering: pixelated; }
.sc-objs { display: none; border-top: 1px solid rgba(128,128,128,.3); margin-top: 4px; padding-top: 3px; }
.sc-objs.sc-shown { display: block; }
.sc-objhead { display: flex; align-items: center; gap: 4px; font-size: 12px; padding: 0 2px 0 6px; }
.sc-objcount { font-weight: 600; white-space: nowrap; }
.sc-objfilter { flex: 1; min-width: 0; font-size: 11px; padding: 0 2px; border: 1px solid #9ca3af; border-radius: 4px; background: #fff; color: #111827; }
.sc-new { font-size: 11px; padding: 0 5px; border: 1px solid #9ca3af; border-radius: 5px; background: #f9fafb; color: #111827; cursor: pointer; white-space: nowrap; }
.sc-new kbd { font-size: 9px; opacity: .7; }
.sc-new.sc-on { background: #2563eb; color: #fff; border-color: #1d4ed8; }
.sc-objlist { overflow-y: auto; margin-top: 2px; }
.sc-obj { display: flex; align-items: center; gap: 5px; padding: 1px 6px; border-radius: 5px; cursor: pointer; font-size: 12px; }
.sc-obj:hover { background: rgba(37, 99, 235, .12); }
.sc-obj.sc-on { background: rgba(37, 99, 235, .25); font-weight: 600; box-shadow: inset 4px 0 0 var(--sc-col, #2563eb); }
.sc-obj .sc-sw { width: 11px; height: 11px; }
.sc-obj .sc-id { font-size: 11px; opacity: .7; flex: none; }
.sc-obj.sc-hidden .sc-name, .sc-obj.sc-hidden .sc-sw { opacity: .4; }
.sc-objbar { display: none; align-items: center; gap: 3px; padding: 3px 2px 0 6px; }
.sc-objbar.sc-shown { display: flex; }
.sc-objbar select { flex: 1; min-width: 0; font-size: 12px; padding: 1px 2px; border: 1px solid #9ca3af; border-radius: 4px; background: #fff; color: #111827; }
.sc-objbar button { font-size: 11px; width: 22px; padding: 1px 0; border: 1px solid #9ca3af; border-radius: 4px; background: #f9fafb; color: #111827; cursor: pointer; }
.sc-objbar .sc-del { font-size: 14px; line-height: 1; color: #b91c1c; }
.sc-obj .sc-poly { font-size: 10px; opacity: .7; flex: none; }
"""

#: The script's parts (``static/canvas/<part>.js``), in the order they are joined: gr.HTML runs
#: one script (js_on_load), and each part is a closure over the shared state (``state.js``)
#: that reaches the others at run time. Only ``protocol.js`` talks to Python.
PARTS = ("state", "protocol", "layers", "view", "draw", "tools", "classes", "objects", "vertices", "settings", "messages", "keys",
         "main")
STATIC = Path(__file__).with_name("static") / "canvas"


def script() -> str:
    """The canvas's js_on_load: its parts joined, each under a line naming its file."""
    return "\n".join(f"// ---- static/canvas/{name}.js\n" + (STATIC / f"{name}.js").read_text(encoding="utf-8")
                     for name in PARTS)


JS = script()


@dataclass
class CanvasState:
    """What the canvas shows, as the handlers build it; ``to_value()`` turns it into the
    component's value (the dict the page and API clients read) in this one place.
    Without an open item only ``seq``, ``classes``, ``cls`` and ``pending`` mean anything."""

    seq: int
    classes: list                                   # [name, colour, share] per class
    cls: int                                        # the class selected in the list
    pending: list = field(default_factory=list)     # brush strokes not applied yet
    item: str | None = None                         # a short id of the open item (no path)
    w: int = 0
    h: int = 0
    photo: str | None = None                        # the photo's URL (the session's key)
    mask: str | None = None                         # palette PNG data URL
    hidden: list = field(default_factory=list)      # classes drawn clear
    outline: bool = False
    full_mask: bool = False                         # the mask at full size (a big photo zoomed in)
    photo_full: str | None = None
    photo_scale: float = 1.0
    markers: list = field(default_factory=list)     # [x, y, 1 add / 0 remove] of the click run
    box: list | None = None
    brush: int = 6
    tolerance: int = 16                             # the wand's start for this photo
    overwrite: str = "unlocked"
    locked: list = field(default_factory=list)
    erase_to: int = 255
    void: int = 255
    background: int | None = None
    legend: list = field(default_factory=list)      # unlabelled / overlap rows
    uncertain: str | None = None                    # uncertain pixels layer, PNG data URL
    objects: list | None = None                     # the item's objects, top first (None: no objects);
    #                                                 see demo/object_views.rows
    selected: int | None = None                     # the selected object's id (None: nothing selected)
    new_object: bool = False                        # "+ new" pressed: the next tool starts a new object
    selected_outline: list = field(default_factory=list)   # its outlines, [[[x, y], ...], ...]
    outlines: dict | None = None                    # every visible object's, simplified: {id: [[x0, y0, ...], ...]}
    edges: str | None = None                        # object boundaries layer, PNG data URL
    polygon: dict | None = None                     # the selected polygon object's vertices (its handles):
    #                                                 {id, parts, shape, rule, offset}, see demo/object_views
    polygon_offset: float | None = None             # a new polygon's file coordinates = image coordinates - this
    ack: int | None = None                          # the page's request this value answers (its req)
    taken: list = field(default_factory=list)       # ids of the pending strokes it took (applied or dropped)

    def fields(self) -> dict:
        """The value's fields, the pictures as :class:`demo.layers.Layer`."""
        # shallow: the lists are made for this value (dataclasses.asdict deep-copied every
        # outline and row again, 60-200 ms an answer with 300 objects)
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_value(self) -> dict:
        """The value whole, as a client reads it: the pictures as PNG data URLs."""
        return whole(self.fields())


#: The value's large fields (the mask and boundary PNGs, the outlines, the object list: 280 kB
#: with 300 objects at 1 MP). The page keeps them out of the value it sends with each request,
#: and an answer to the page's own request leaves out those it already has and sends only the
#: changes of the others (:func:`for_page`): a value crosses the wire both ways with every
#: request, and at that size Gradio's round trip took 0.2 s more than with a small one
#: (measured here).
BIG_FIELDS = ("mask", "edges", "uncertain", "outlines", "objects", "selected_outline", "polygon")
#: The fields that are pictures (:class:`demo.layers.Layer`; a PNG data URL in a value).
LAYERS = ("mask", "edges")


def whole(value: dict) -> dict:
    """``value`` (:meth:`CanvasState.fields`) with its pictures as PNG data URLs."""
    out = dict(value)
    for k in LAYERS:
        if isinstance(out[k], Layer):
            out[k] = out[k].url()
    return out


def _change(name: str, before, now):
    """What turns the page's ``before`` of a large field into ``now``: ``{}`` nothing, None
    the whole field; else the change: a picture's box of changed pixels (:meth:`Layer.patch`),
    the object rows that changed (``rows``) and the new order of ids (``ids``, when it
    changed), the outlines that changed (``set``) and the ids gone (``drop``)."""
    if before is now:
        return {}
    if isinstance(now, Layer):
        return now.patch(before) if isinstance(before, Layer) else None
    if name == "objects" and isinstance(before, list) and isinstance(now, list):
        had = {r["id"]: r for r in before}
        change = {}
        rows = [r for r in now if had.get(r["id"]) != r]
        ids = [r["id"] for r in now]
        if rows:
            change["rows"] = rows
        if ids != [r["id"] for r in before]:
            change["ids"] = ids
        return change
    if name == "outlines" and isinstance(before, dict) and isinstance(now, dict):
        change = {}
        got = {k: v for k, v in now.items() if before.get(k) is not v and before.get(k) != v}
        gone = [k for k in before if k not in now]
        if got:
            change["set"] = got
        if gone:
            change["drop"] = gone
        return change
    return {} if before == now else None


def for_page(value: dict, known: dict) -> dict:
    """``value`` (:meth:`CanvasState.fields`) for the page that shows ``known`` (the large
    fields it was last sent): those unchanged left out, the changes of the others in
    ``delta`` (``{field: change}``, see :func:`_change`), a picture whole where its changed box
    is large; ``known`` takes the new ones. The page applies them in ``static/canvas/protocol.js``."""
    out, delta = dict(value), {}
    for k in BIG_FIELDS:      # (``known`` may also hold the ``seq`` of the value it was sent with)
        now = value[k]
        change = _change(k, known[k], now) if k in known else None
        known[k] = now
        if change is None:
            out[k] = now.url() if isinstance(now, Layer) else now
            continue
        del out[k]
        if change:
            delta[k] = change
    if delta:
        out["delta"] = delta
    return out


@dataclass(frozen=True)
class CanvasEvent:
    """The payload of the canvas's ``select`` event, read in one place. The page sends
    ``{index: [x, y] or null, value: {tool, req, cls, ...}}`` (gr.SelectData's public fields);
    ``tool`` names the action (demo/protocol.py's table: a tool, a key's action, a class row's
    padlock or colour, or ``view``: what is drawn changed, in the value)."""

    tool: str
    req: int | None = None          # the page's number for the request, returned as the value's ack
    item: str | None = None         # the item the user pointed at (a tool's event), CanvasState.item
    x: int = -1
    y: int = -1
    cls: int | None = None          # the class row or the class selected in the list
    tolerance: float | None = None  # the wand's slider
    points: tuple = ()              # a polygon's corners, image pixels
    box: tuple = ()                 # a box: x0, y0, x1, y1 (x1, y1 exclusive), image pixels
    locked: bool = False            # a padlock's new state
    colour: str = ""                # a swatch's new colour, #rrggbb
    obj: int | None = None          # the object a row's action names
    where: str = ""                 # reorder: forward / backward / front / back
    hidden: bool = False            # an object's eye: its new state
    step: int = 1                   # Tab / Shift+Tab: 1 / -1
    vertex: int = 0                 # a vertex's index in its part (move / insert / delete a vertex)
    part: int = 0                   # the part of the polygon it is in
    at: tuple = ()                  # where it goes: [x, y] in the file's coordinates (sub-pixel)
    delta: tuple = ()               # a polygon's move: [dx, dy] pixels

    @classmethod
    def of(cls, evt: gr.SelectData) -> "CanvasEvent":
        d = evt.value if isinstance(evt.value, dict) else {}
        x, y = evt.index if isinstance(evt.index, (list, tuple)) and len(evt.index) == 2 else (-1, -1)

        def num(v, kind, default):
            try:
                return kind(v)
            except (TypeError, ValueError):
                return default

        def pair(v):
            return (num(v[0], float, 0.0), num(v[1], float, 0.0)) if isinstance(v, list) and len(v) == 2 else ()

        def seq(v):
            return tuple(map(tuple, v)) if isinstance(v, list) and all(isinstance(p, list) for p in v) else ()
        box = d.get("box")
        return cls(tool=str(d.get("tool", "")), req=num(d.get("req"), int, None),
                   item=None if d.get("item") is None else str(d["item"]), x=num(x, int, -1), y=num(y, int, -1),
                   cls=num(d.get("cls"), int, None), tolerance=num(d.get("tolerance"), float, None),
                   points=seq(d.get("points")),
                   box=tuple(box) if isinstance(box, list) and len(box) == 4 else (),
                   locked=bool(d.get("locked")), colour=str(d.get("colour") or ""),
                   obj=num(d.get("obj"), int, None), where=str(d.get("where") or ""),
                   hidden=bool(d.get("hidden")), step=-1 if num(d.get("step"), int, 1) < 0 else 1,
                   vertex=num(d.get("vertex"), int, 0), part=num(d.get("part"), int, 0),
                   at=pair(d.get("at")), delta=pair(d.get("delta")))


def make_canvas(value: dict | None = None) -> gr.HTML:
    return gr.HTML(value or {}, html_template=TEMPLATE, css_template=CSS, js_on_load=JS, elem_id="canvas",
                   apply_default_css=False)
