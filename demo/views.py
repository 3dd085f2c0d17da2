"""What the browser shows of a session: the canvas value, the file list and the status line."""

from __future__ import annotations

import html
import io
import re

import cv2
import numpy as np
from PIL import Image

from segcore.dataset.prelabel import least_sure_first, status_note, uncertain_pixels
from segcore.edit import background_index
from segcore.render import outline_mask

from . import object_views, prompters
from .canvas import CanvasState
from .layers import Layer
from .session import AppSession, dataset_key

STATUS_MARK = {"unlabelled": ("○", "#9ca3af"), "predicted": ("◐", "#d97706"),
               "edited": ("●", "#2563eb"), "reviewed": ("✔", "#16a34a")}
FILE_WINDOW = 300   # rows shown around the current item; the rest are reached by moving


#: How void (unlabelled) pixels are drawn: a pale grey, fainter than the classes (VOC's
#: colormap has mid grey (128, 128, 128) for class 7, CamVid's fence: not that one).
VOID_SHOWN, VOID_ALPHA = (224, 224, 224), 140


#: A palette index no class has (at most 254 classes, void 255): pixels drawn clear.
CLEAR = 254


def mask_layer(labels: np.ndarray, label_set, hidden=(), outline: bool = False) -> Layer:
    """The label map as a palette picture: classes in their colours, void a faint grey, and
    only a class *named* background clear (class 0 is a class like any other). ``hidden``:
    classes drawn clear; ``outline``: only each region's edge band is drawn. One byte per
    pixel and a fast compression level: about 10 ms at 1 MP as a whole PNG."""
    if outline:
        band = outline_mask(labels, max(1, round(max(labels.shape) / 1000)))
        labels = np.where(band, labels, np.uint8(CLEAR))
    lut = label_set.lut()
    lut[label_set.void_index] = VOID_SHOWN
    alpha = bytearray([255] * 256)
    alpha[label_set.void_index] = VOID_ALPHA
    bg = background_index(label_set)
    if bg is not None:
        alpha[bg] = 0
    for k in (*hidden, CLEAR):
        alpha[int(k)] = 0
    return Layer(labels, lut.ravel().tolist(), bytes(alpha))


#: The canvas is sent the photo at most this many pixels on its longer side, which opens a big
#: photo fast (48 MP: 0.05 s to make instead of 0.5 s); the full resolution is fetched once the
#: user zooms past it (the same URL with ``full-``). Edits are always made at full resolution.
PREVIEW_SIDE = 2560


def _preview(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """``(picture, scale)``: the photo for the canvas and its size relative to the photo's."""
    H, W = rgb.shape[:2]
    side = max(H, W)
    if side <= PREVIEW_SIDE:
        return rgb, 1.0
    f = PREVIEW_SIDE / side
    k = max(1, side // PREVIEW_SIDE)            # a stride first: the area average then reads less
    small = np.ascontiguousarray(rgb[::k, ::k])
    ph, pw = _preview_shape((H, W), f)
    return cv2.resize(small, (pw, ph), interpolation=cv2.INTER_AREA), f


def _preview_shape(shape, scale: float) -> tuple[int, int]:
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def _photo_url(app: AppSession) -> str:
    """The photo's URL: under the session's key (see demo/session.py), never a server path."""
    ws = app.workspace
    key = (str(ws.ds.root), ws.index, ws.name)
    if app.photo_key != key:
        picture, scale = _preview(ws.session.rgb)
        buf = io.BytesIO()
        Image.fromarray(picture).save(buf, format="JPEG", quality=92)
        app.photo_key, app.photo_url = key, app.set_photo(buf.getvalue())
        app.photo_full = ws.session.rgb if scale < 1 else None
        app.photo_scale, app.full_mask = scale, False
    return app.photo_url


def _full_url(app: AppSession) -> str | None:
    if app.photo_full is None or not app.photo_url:
        return None
    head, _, name = app.photo_url.rpartition("/")
    return f"{head}/full-{name}"


def item_key(app: AppSession) -> str | None:
    """The open item's short id for the page (``CanvasState.item``): names no path."""
    ws = app.workspace
    return None if ws.session is None else f"{dataset_key(ws.ds)}:{ws.index}"


def canvas_value(app: AppSession) -> dict:
    """The canvas component's value (see :class:`demo.canvas.CanvasState`)."""
    return canvas_state(app).to_value()


def canvas_state(app: AppSession) -> CanvasState:
    ws = app.workspace
    if ws.session is None:
        return CanvasState(seq=app.counter, classes=_classes(ws.label_set, None), cls=app.cls)
    s = ws.session
    seg = s.seg
    app.counter += 1
    h, w = s.shape
    run = s.run
    n = len(seg.label_set)
    if app.cls == 0 and n > 1 and app.n_classes == 1:
        app.cls = 1            # the classes came (a model's, or one added): select the first
    app.cls, app.n_classes = min(app.cls, n - 1), n
    photo = _photo_url(app)
    counts = _counts(seg.labels)
    shown = s.shown_labels if s.has_objects else seg.labels     # hidden objects are not drawn
    if app.photo_scale < 1 and not app.full_mask:
        # A big photo's mask at the canvas photo's size until the user zooms past it (then the
        # page asks for it whole, "full_mask"): 48 MP would cost the browser a second to draw.
        ph, pw = _preview_shape(s.shape, app.photo_scale)
        shown = cv2.resize(shown, (pw, ph), interpolation=cv2.INTER_NEAREST)
    objects = {}
    if s.has_objects:
        objects = dict(objects=object_views.rows(s, app.rows_known), selected=s.selected, new_object=s.new_pending,
                       selected_outline=object_views.selected_outline(s),
                       polygon=object_views.selected_polygon(s), polygon_offset=object_views.polygon_offset(s),
                       outlines=object_views.outlines(app, s),
                       edges=object_views.edges_layer(app, s, shown.shape))
    return CanvasState(
        item=item_key(app), seq=app.counter, w=w, h=h,
        photo=photo, mask=_mask(app, shown, seg.label_set),
        hidden=sorted(app.hidden), outline=app.outline, full_mask=app.full_mask,
        photo_full=_full_url(app), photo_scale=app.photo_scale,
        markers=[[x, y, int(p)] for x, y, p in s.markers],
        box=list(run.box) if run and run.box else None,
        classes=_classes(seg.label_set, seg.labels, counts), cls=app.cls,
        brush=max(2, int(round(np.hypot(h, w) / 100))),
        tolerance=s.default_tolerance(), **rule_value(app),
        legend=_legend(app, s, counts), uncertain=_uncertain_png(app), **objects,
    )


def _mask(app: AppSession, shown: np.ndarray, label_set) -> Layer:
    """:func:`mask_layer` of ``shown``, made again only when the labels, the classes or what is
    drawn changed (a selection, a hidden object's row, a lock send the same mask again)."""
    key = (frozenset(app.hidden), app.outline)
    labels, ls, drawn, layer = app.mask_cache
    if labels is not shown or ls is not label_set or drawn != key:
        layer = mask_layer(shown, label_set, app.hidden, app.outline)
        app.mask_cache = (shown, label_set, key, layer)
    return layer


#: Uncertain pixels on the canvas: magenta, half opaque (the rest clear).
UNCERTAIN_RGBA = (255, 0, 255, 170)


def _uncertain_png(app: AppSession) -> str | None:
    """The current item's pixels its pre-labelling model was unsure of, as a PNG data URL,
    when the Train tab's "on the canvas" is on and the item has a recorded confidence."""
    below = app.uncertain_below
    ws = app.workspace
    if below is None or ws.session is None:
        return None
    key = (id(ws.ds), ws.index, float(below))
    cached = app.uncertain_cache
    if cached[0] != key:
        with ws.lock:
            mask = uncertain_pixels(ws.ds, ws.index, float(below))
        url = None
        if mask is not None and mask.shape == ws.session.shape:
            url = Layer(mask.astype(np.uint8), [0, 0, 0, *UNCERTAIN_RGBA[:3]] + [0] * (768 - 6),
                        bytes([0, UNCERTAIN_RGBA[3]])).url()
        app.uncertain_cache = cached = (key, url)
    return cached[1]


def rule_value(app: AppSession) -> dict:
    """The overwrite rule, the locked classes and the erase target, as the page shows them."""
    ws = app.workspace
    rule, ls = ws.rule, ws.label_set
    return {"overwrite": rule.overwrite, "locked": sorted(rule.locked), "erase_to": rule.erase_value(ls),
            "void": ls.void_index, "background": background_index(ls)}


def _counts(labels) -> np.ndarray:
    """Pixels per label value (256), by OpenCV's histogram: 20 ms at 48 MP where np.bincount
    (int64 on the way) took 0.6 s."""
    if labels is None:
        return np.zeros(256, np.int64)
    return cv2.calcHist([labels], [0], None, [256], [0, 256]).ravel().astype(np.int64)


def _legend(app: AppSession, s, counts: np.ndarray) -> list:
    """Rows under the classes: unlabelled pixels, and pixels two objects cover."""
    seg = s.seg
    total = seg.labels.size
    void = int(counts[seg.label_set.void_index])
    rows = [["unlabelled", "#%02x%02x%02x" % VOID_SHOWN, f"{void / total * 100:.1f}%" if void else ""]]
    n = object_views.overlap_pixels(app, s) if s.has_objects else 0
    if n:
        rows.append(["overlap (the higher shown)", "", f"{n / total * 100:.1f}%"])
    return rows


def _classes(label_set, labels, counts: np.ndarray | None = None) -> list:
    counts = _counts(labels) if counts is None else counts
    total = max(1, 0 if labels is None else labels.size)
    rows = []
    for k, name in enumerate(label_set.names):
        share = counts[k] / total * 100
        rows.append([name, label_set.hex_color(k), f"{share:.1f}%" if counts[k] else ""])
    return rows


def files_html(app: AppSession, only_open: bool = False) -> str:
    ws = app.workspace
    ds = ws.ds
    n = len(ds)
    if not n:
        return '<div class="sc-files"><i>No images yet.</i></div>'
    # read without the dataset's lock: an answer does not wait for the save an edit started
    statuses = [ws.shown_status(i) for i in range(n)]
    # the Train panel's review order, least sure first (demo/train.py), or the dataset's
    order = least_sure_first(ds) if app.least_sure_first else range(n)
    rows = [i for i in order if not only_open or statuses[i] != "reviewed" or i == ws.index]
    cur = ws.index if ws.index is not None else 0
    pos = rows.index(cur) if cur in rows else next((k for k, i in enumerate(rows) if i >= cur), 0)
    lo = max(0, pos - FILE_WINDOW // 2)
    shown = rows[lo:lo + FILE_WINDOW]
    here = app.presence.others() if app.presence is not None else {}    # open in other sessions
    out = []
    for i in shown:
        mark, col = STATUS_MARK[statuses[i]]
        on = ' class="sc-file sc-cur"' if i == ws.index else ' class="sc-file"'
        note = html.escape(status_note(ds, i, statuses[i]))
        who = here.get(ds.names[i])
        if who:       # shown after the name by the stylesheet (the row's text stays the name)
            names = ", ".join(who) if who != ["local"] else "another session"
            note += html.escape(f" · open in another session ({names})")
            who = f' data-here="{html.escape(names)}"'
        out.append(f'<div{on} data-i="{i}"{who or ""} title="{note}"><span style="color:{col}">{mark}</span> '
                   f'{html.escape(ds.names[i])}</div>')
    more = len(rows) - len(shown)
    tail = f'<div class="sc-more">… {more} more (move with A / D)</div>' if more > 0 else ""
    done = statuses.count("reviewed")
    head = f'<div class="sc-count">{done} of {n} reviewed</div>'
    return f'{head}<div class="sc-files">{"".join(out)}{tail}</div>'


def md_escape(text: str) -> str:
    """``text`` shown as itself inside a line of Markdown: HTML escaped, then the marks that
    would format it backslashed (a file named ``**x**`` shows its stars, not bold); an
    underscore inside a word formats nothing and stays as it is (``0016E5_07959``)."""
    text = re.sub(r"([\\`*\[\]~|])", r"\\\1", html.escape(str(text)))
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


def status_md(app: AppSession) -> str:
    ws = app.workspace
    if ws.session is None:
        return "No image yet. Add images above." if app.uploads else "The dataset has no images."
    s = ws.session
    status = status_note(ws.ds, ws.index, ws.shown_status(ws.index))    # (no wait for a save: files_html)
    steps = "undo available" if s.history.can_undo else "no edits yet"
    saved = "saving…" if ws.dirty else "saved"
    conflict = " · ⚠ **conflict**: Keep mine or Take theirs, above the image" if ws.conflict is not None else ""
    you = f" · you: {md_escape(ws.user)} ({'reviewer' if ws.reviewer else 'annotator'})" \
        if app.served.users is not None else ""
    return (f"**{md_escape(ws.name)}** · item {ws.index + 1} of {len(ws)} · {status} · "
            f"{s.shape[1]}×{s.shape[0]} · {steps} · {saved}{conflict}{you}{prompters.status_note(app)}")
