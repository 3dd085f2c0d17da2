// Vertex editing of the selected polygon object (COCO polygons, labelme polygons and
// rectangles): its vertices show as handles of one size at any zoom. With the Select tool (V):
// drag a handle to move its vertex; press on an edge to insert a vertex there (drag to place
// it); Alt+click a handle, or Delete / Backspace with the cursor on it, removes it; Shift+drag
// inside moves the whole polygon. The polygon is drawn here as it is dragged, and one request
// goes at mouse-up (move_vertex, insert_vertex, delete_vertex, move_polygon: each one undoable
// step); it stays drawn so until the answer's new mask is shown.
//
// Coordinates: the value's `polygon.parts` are the file's own (COCO along pixel edges, labelme
// through pixel centres); `offset` turns them into image coordinates where pixel x spans
// [x, x + 1]. The page's X()/Y() take pixel centres at whole numbers, hence `shift`.
parts.vertices = (() => {
  const {X, Y} = parts.view;
  const HANDLE = 5, EDGE = 6, MIN_DRAG = 3;     // CSS pixels: handle radius, edge reach, a click's wobble

  // The selected polygon (null: none, or a mask object).
  const poly = () => { const v = val(); return v.polygon && v.polygon.id === v.selected ? v.polygon : null; };
  const active = () => !!poly() && S.tool === 'select';
  const shift = (pg) => pg.offset - 0.5;                       // page coordinate = file coordinate + shift
  const r2 = (v) => Math.round(v * 100) / 100;

  // A file coordinate to CSS pixels in the stage, and the pointer back to a file coordinate.
  function css(pg, [x, y]) {
    const s = shift(pg), z = S.view.z;
    return [(x + s + .5) * z + S.view.ox, (y + s + .5) * z + S.view.oy];
  }
  function mouse(e) { const r = E.stage.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
  function fileAt(pg, [sx, sy]) {
    const v = val(), s = shift(pg), z = S.view.z, lo = -pg.offset;
    const x = (sx - S.view.ox) / z - .5 - s, y = (sy - S.view.oy) / z - .5 - s;
    return [r2(Math.min(v.w - pg.offset, Math.max(lo, x))), r2(Math.min(v.h - pg.offset, Math.max(lo, y)))];
  }

  // The parts as they would be after the drag under way (the rectangle's rule as in Python).
  function edited(pg, d) {
    const parts0 = pg.parts.map((p) => p.map((q) => q.slice()));
    if (!d) return parts0;
    if (d.kind === 'shift') {
      const [dx, dy] = d.delta || [0, 0];
      return parts0.map((p) => p.map(([x, y]) => [r2(x + dx), r2(y + dy)]));
    }
    const p = parts0[d.part];
    if (d.kind === 'insert') { p.splice(d.index, 0, d.at); return parts0; }
    if (pg.shape === 'rectangle') {
      // corner k moves the coordinates that make it: 0 (x0, y0), 1 (x1, y0), 2 (x1, y1), 3 (x0, y1)
      let [x0, y0] = p[0], [x1, y1] = p[2];
      const [x, y] = d.at;
      if (d.index === 0 || d.index === 3) x0 = x; else x1 = x;
      if (d.index === 0 || d.index === 1) y0 = y; else y1 = y;
      parts0[d.part] = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
      return parts0;
    }
    p[d.index] = d.at;
    return parts0;
  }

  // What is under the pointer: a handle, else an edge (and the point on it).
  function handleAt(pg, m) {
    let best = null;
    pg.parts.forEach((p, part) => p.forEach((q, index) => {
      const [sx, sy] = css(pg, q), d = Math.hypot(sx - m[0], sy - m[1]);
      if (d <= HANDLE + 2 && (!best || d < best.d)) best = {part, index, d};
    }));
    return best;
  }
  function edgeAt(pg, m) {
    let best = null;
    pg.parts.forEach((p, part) => p.forEach((q, i) => {
      const a = css(pg, q), b = css(pg, p[(i + 1) % p.length]);
      const dx = b[0] - a[0], dy = b[1] - a[1], L = dx * dx + dy * dy;
      const t = L ? Math.max(0, Math.min(1, ((m[0] - a[0]) * dx + (m[1] - a[1]) * dy) / L)) : 0;
      const px = a[0] + t * dx, py = a[1] + t * dy, d = Math.hypot(m[0] - px, m[1] - py);
      if (d <= EDGE && (!best || d < best.d)) best = {part, index: i + 1, d, at: fileAt(pg, [px, py])};
    }));
    return best;
  }
  function inside(pg, m) {
    let n = 0;                                                  // even-odd, every part
    for (const p of pg.parts) {
      for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
        const [xi, yi] = css(pg, p[i]), [xj, yj] = css(pg, p[j]);
        if ((yi > m[1]) !== (yj > m[1]) && m[0] < (xj - xi) * (m[1] - yi) / (yj - yi) + xi) n++;
      }
    }
    return n % 2 === 1;
  }

  // -- the pointer ------------------------------------------------------------------------
  function press(e) {
    const pg = poly();
    if (!pg || S.tool !== 'select' || S.vdrag) return false;
    const m = mouse(e), hit = handleAt(pg, m);
    if (hit && e.altKey) { remove(pg, hit); return true; }
    let d = null;
    if (hit) d = {kind: 'move', part: hit.part, index: hit.index, at: pg.parts[hit.part][hit.index].slice()};
    else if (e.shiftKey && inside(pg, m)) d = {kind: 'shift', from: fileAt(pg, m), delta: [0, 0]};
    else {
      const edge = edgeAt(pg, m);
      if (edge) d = {kind: 'insert', part: edge.part, index: edge.index, at: edge.at};
    }
    if (!d) return false;
    Object.assign(d, {pg, start: m, moved: d.kind === 'insert'});
    S.vdrag = d;
    E.stage.setPointerCapture(e.pointerId);
    parts.draw.redraw();
    return true;
  }

  function move(e) {
    const m = mouse(e);
    S.vmouse = m;
    const d = S.vdrag;
    if (!d) {
      if (!poly()) return;
      if (active() && !S.space) {                               // what a press here would do
        const pg = poly();
        E.stage.style.cursor = handleAt(pg, m) ? 'grab' : edgeAt(pg, m) ? 'copy'
          : e.shiftKey && inside(pg, m) ? 'move' : 'pointer';
      }
      parts.draw.redraw();
      return;
    }
    if (Math.hypot(m[0] - d.start[0], m[1] - d.start[1]) >= MIN_DRAG) d.moved = true;
    if (!d.moved) return;
    if (d.kind === 'shift') {
      const v = val(), to = fileAt(d.pg, m), all = d.pg.parts.flat(), off = d.pg.offset;
      // the whole polygon stays on the image
      const xs = all.map((q) => q[0]), ys = all.map((q) => q[1]);
      const dx = Math.min(v.w - off - Math.max(...xs), Math.max(-off - Math.min(...xs), to[0] - d.from[0]));
      const dy = Math.min(v.h - off - Math.max(...ys), Math.max(-off - Math.min(...ys), to[1] - d.from[1]));
      d.delta = [r2(dx), r2(dy)];
    } else d.at = fileAt(d.pg, m);
    parts.draw.redraw();
  }

  function release() {
    const d = S.vdrag;
    if (!d) return false;
    S.vdrag = null;
    const ask = (what) => {
      S.vghost = {pg: d.pg, parts: edited(d.pg, d), seq: val().seq};
      parts.protocol.send(Object.assign({item: val().item, obj: d.pg.id}, what));
    };
    if (d.kind === 'move' && d.moved) ask({tool: 'move_vertex', part: d.part, vertex: d.index, at: d.at});
    else if (d.kind === 'insert') ask({tool: 'insert_vertex', part: d.part, vertex: d.index, at: d.at});
    else if (d.kind === 'shift' && d.moved && (d.delta[0] || d.delta[1])) ask({tool: 'move_polygon', delta: d.delta});
    parts.draw.redraw();
    return true;
  }

  function remove(pg, hit) {
    const p = pg.parts[hit.part];
    if (new Set(p.map((q) => q.join(','))).size <= 3) {
      E.hint.textContent = 'A polygon keeps at least three vertices; delete the object instead (Delete on no vertex)';
      return;
    }
    const ghost = pg.parts.map((q) => q.slice());
    ghost[hit.part] = p.filter((_, i) => i !== hit.index);
    S.vghost = {pg, parts: ghost, seq: val().seq};
    parts.protocol.send({tool: 'delete_vertex', item: val().item, obj: pg.id, part: hit.part, vertex: hit.index});
  }

  // Delete / Backspace with the cursor on a handle of the selected polygon removes that vertex.
  function key() {
    const pg = poly();
    if (!active() || !S.vmouse || S.vdrag) return false;
    const hit = handleAt(pg, S.vmouse);
    if (!hit) return false;
    remove(pg, hit);
    return true;
  }

  // A new value: the edit sent is answered (its mask is shown), so its drawing goes.
  function onValue() {
    const g = S.vghost;
    if (g && val().seq !== g.seq) S.vghost = null;
  }

  // -- drawing ---------------------------------------------------------------------------------
  function draw() {
    const pg = poly();
    if (!pg) return false;
    const dpr = devicePixelRatio, d = S.vdrag, g = S.vghost;
    const shown = d && d.moved ? edited(pg, d) : g && g.pg.id === pg.id ? g.parts : pg.parts;
    const s = shift(pg), px = ([x, y]) => [X(x + s), Y(y + s)];
    const col = colour(((val().objects || []).find((o) => o.id === pg.id) || {}).cls ?? 1);
    ctx.lineJoin = 'round';
    const path = () => {
      ctx.beginPath();
      for (const p of shown) {
        p.forEach((q, i) => { const [x, y] = px(q); if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
        ctx.closePath();
      }
    };
    if (d && d.moved) { path(); ctx.globalAlpha = 0.3; ctx.fillStyle = col; ctx.fill('evenodd'); ctx.globalAlpha = 1; }
    path(); ctx.lineWidth = 3.5 * dpr; ctx.strokeStyle = '#ffffff'; ctx.stroke();
    path(); ctx.lineWidth = 1.5 * dpr; ctx.strokeStyle = '#2563eb'; ctx.stroke();
    const hover = active() && S.vmouse && !d ? handleAt(pg, S.vmouse) : null;
    shown.forEach((p, part) => p.forEach((q, i) => {
      const [x, y] = px(q), on = hover && hover.part === part && hover.index === i;
      const r = (on ? HANDLE + 1.5 : HANDLE) * dpr;
      ctx.beginPath(); ctx.rect(x - r, y - r, 2 * r, 2 * r);
      ctx.fillStyle = on ? '#facc15' : '#ffffff'; ctx.fill();
      ctx.lineWidth = 1.2 * dpr; ctx.strokeStyle = '#1d4ed8'; ctx.stroke();
    }));
    if (active() && S.vmouse && !d && !hover) {                   // where a press would insert
      const edge = edgeAt(pg, S.vmouse);
      if (edge) {
        const [x, y] = px(edge.at);
        ctx.beginPath(); ctx.arc(x, y, 3.5 * dpr, 0, 7); ctx.fillStyle = '#2563eb'; ctx.fill();
      }
    }
    E.root.dataset.vertices = String(pg.parts.reduce((n, p) => n + p.length, 0));
    return true;
  }

  const HINT = ' · drag a vertex to move it, press on an edge to add one, Alt+click or Delete on a vertex ' +
    'removes it, Shift+drag inside moves the polygon';
  const hint = () => (active() ? HINT : '');

  E.stage.addEventListener('pointermove', move);
  E.stage.addEventListener('pointerup', release);
  E.stage.addEventListener('pointerleave', () => { S.vmouse = null; if (poly()) parts.draw.redraw(); });

  return {press, key, draw, hint, onValue, active};
})();
