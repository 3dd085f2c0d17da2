// The tools: one entry per tool, saying what a press on the photo does. Point tools, the box
// and a closed polygon ask Python at once (through protocol.js, the same handlers as their API
// endpoints); brush and eraser strokes stay on the page as polylines in image pixels until an
// action takes them. Pan (middle drag, Space + drag) and the wheel's zoom are here too.
parts.tools = (() => {
  const {point, X, Y} = parts.view;
  const send = (what) => parts.protocol.send(what);
  const cls = () => val().cls ?? 1;

  function click(tool, p) { send({tool, x: p[0], y: p[1], cls: cls(), item: val().item}); }

  function stroke(erase, p, e) {
    S.drawing = {points: [p.slice()], radius: +E.size.value, erase, cls: cls()};
    E.stage.setPointerCapture(e.pointerId);
    parts.draw.redraw();
  }

  // A box: the first click marks a corner, the second sends the box (x1, y1 exclusive, as the API).
  function box(p) {
    if (!S.corner) { S.corner = p.slice(); parts.draw.redraw(); return; }
    const [cx, cy] = S.corner;
    S.corner = null;
    send({tool: 'box', box: [Math.min(cx, p[0]), Math.min(cy, p[1]), Math.max(cx, p[0]) + 1, Math.max(cy, p[1]) + 1],
          cls: cls(), item: val().item});
  }

  function polygonCorner(p) {
    const poly = S.poly, first = poly && poly[0];
    if (first && poly.length >= 3 && Math.hypot(X(first[0]) - X(p[0]), Y(first[1]) - Y(p[1])) <= 8 * devicePixelRatio) closePolygon();
    else { S.poly = [...(poly || []), p.slice()]; parts.draw.redraw(); }
  }

  // Close the polygon: it goes to the server as one step. On an item of objects it is a new
  // polygon object: its corners (clicked pixels' centres) in the file's coordinates.
  function closePolygon() {
    if (!S.poly) return false;
    const off = val().polygon_offset;
    const pts = off == null ? S.poly : S.poly.map(([x, y]) => [x + .5 - off, y + .5 - off]);
    if (new Set(S.poly.map((p) => p.join(','))).size < 3) { E.hint.textContent = 'A polygon needs at least three corners'; return true; }
    S.poly = null;
    parts.draw.redraw();
    send({tool: 'polygon', points: pts, cls: cls(), item: val().item});
    return true;
  }

  // What a press on the photo does, per tool. `onImage`: only presses on the image count.
  const PRESS = {
    add: {onImage: true, press: (p) => click('add', p)},
    remove: {onImage: true, press: (p) => click('remove', p)},
    box: {onImage: true, press: box},
    wand: {onImage: true, press: (p) => send({tool: 'wand', x: p[0], y: p[1], cls: cls(), tolerance: +E.tol.value, item: val().item})},
    brush: {onImage: false, press: (p, e) => stroke(false, p, e)},
    eraser: {onImage: false, press: (p, e) => stroke(true, p, e)},
    polygon: {onImage: true, press: polygonCorner},
    // the selected polygon's handles and edges first (vertices.js), then the object under the click
    select: {onImage: false, press: (p, e) => { if (!parts.vertices.press(e) && p.on) send({tool: 'select_at', x: p[0], y: p[1], item: val().item}); }},
  };

  function setTool(t) {
    if (t !== 'polygon') S.poly = null;
    S.tool = t;
    E.tools.forEach((b) => b.classList.toggle('sc-on', b.dataset.tool === t));
    setCursor();
    parts.draw.redraw();
  }

  function setCursor() {
    E.stage.style.cursor = S.space ? 'grab' : (S.tool === 'brush' || S.tool === 'eraser') ? 'none'
      : S.tool === 'select' ? 'pointer' : 'crosshair';
  }

  function space(on) { if (S.space !== on) { S.space = on; setCursor(); } }

  // The open polygon takes Enter (close), Backspace (drop the last corner) and Esc (cancel).
  function polygonKey(what) {
    if (!S.poly) return false;
    if (what === 'close') return closePolygon();
    if (what === 'back') S.poly = S.poly.length > 1 ? S.poly.slice(0, -1) : null;
    else S.poly = null;
    parts.draw.redraw();
    return true;
  }

  E.stage.addEventListener('pointerdown', (e) => {
    if (!val().w) return;
    if (e.button === 1 || (e.button === 0 && S.space)) {     // pan: middle drag, or Space + drag
      e.preventDefault();
      S.panning = {x: e.clientX, y: e.clientY, ox: S.view.ox, oy: S.view.oy};
      E.stage.setPointerCapture(e.pointerId);
      E.stage.style.cursor = 'grabbing';
      return;
    }
    if (e.button !== 0) return;
    e.preventDefault();
    const p = point(e), t = PRESS[S.tool];
    if (t.onImage && !p.on) return;                          // a click beside the image
    t.press(p, e);
  });
  // No autoscroll on a middle click over the stage.
  E.stage.addEventListener('mousedown', (e) => { if (e.button === 1) e.preventDefault(); });
  E.stage.addEventListener('pointermove', (e) => {
    if (!val().w) return;
    if (S.panning) { parts.view.panBy(e.clientX - S.panning.x, e.clientY - S.panning.y); return; }
    const p = point(e);
    S.hover = p.on || S.drawing ? p : null;
    if (S.drawing) {
      const last = S.drawing.points[S.drawing.points.length - 1];
      if (last[0] !== p[0] || last[1] !== p[1]) S.drawing.points.push(p.slice());
    }
    if (S.drawing || S.poly || S.tool === 'brush' || S.tool === 'eraser') parts.draw.redraw();
  });
  E.stage.addEventListener('pointerleave', () => { S.hover = null; if (!S.drawing) parts.draw.redraw(); });
  E.stage.addEventListener('pointerup', () => {
    if (S.panning) { S.panning = null; setCursor(); return; }
    if (!S.drawing) return;
    const s = S.drawing;
    S.drawing = null;
    parts.protocol.addStroke(s);
    parts.draw.redraw();
  });
  // The wheel zooms at the cursor: the image pixel under it stays under it.
  E.stage.addEventListener('wheel', (e) => {
    if (!val().w) return;
    e.preventDefault();
    const r = E.stage.getBoundingClientRect(), dy = e.deltaY * (e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1);
    parts.view.zoomAt(S.view.z * Math.pow(1.25, -dy / 100), e.clientX - r.left, e.clientY - r.top);
  }, {passive: false});
  E.tools.forEach((b) => b.addEventListener('click', () => setTool(b.dataset.tool)));

  return {setTool, space, polygonKey};
})();
