// What is drawn over the photo and mask on the drawing canvas: pending strokes, the box, click
// markers (those on the way too), a box's first corner, the brush's footprint and the open
// polygon; and the hint line under the canvas.
parts.draw = (() => {
  const HINTS = {
    add: 'Add (Q): click on what belongs to the class; each click updates the mask',
    remove: 'Remove (E): click on what does not belong to the class',
    box: 'Box (X): click two opposite corners around the object',
    wand: 'Wand (W): click a region of similar colour to fill it with the class',
    brush: 'Brush (B): paint the class; Enter applies',
    eraser: 'Eraser (N): paint to erase (to the "erase to" choice); Enter applies',
    polygon: 'Polygon (P): click the corners; Enter or a click on the first one closes it, Backspace drops the last, Esc cancels',
    select: 'Select (V): click an object to select it (the top one there); Tab / Shift+Tab walk the objects, M starts a new one',
  };
  // Where the item is a list of objects, the tools' words name the object.
  const OBJECT_HINTS = Object.assign({}, HINTS, {
    add: 'Add (Q): click on what belongs to the object; each click updates the mask',
    remove: 'Remove (E): click on what does not belong to the object',
    eraser: 'Eraser (N): paint to take pixels from the object (what lies beneath shows); Enter applies',
  });
  const {X, Y} = parts.view;

  function strokePath(s, style) {
    const d = devicePixelRatio * S.view.z;
    ctx.lineCap = 'round'; ctx.lineJoin = 'round';
    ctx.lineWidth = Math.max(1, (2 * s.radius + 1) * d);
    ctx.strokeStyle = style; ctx.fillStyle = style;
    ctx.beginPath();
    const p = s.points;
    if (p.length === 1) { ctx.arc(X(p[0][0]), Y(p[0][1]), Math.max(.5, (s.radius + .5) * d), 0, 7); ctx.fill(); return; }
    ctx.moveTo(X(p[0][0]), Y(p[0][1]));
    for (const q of p.slice(1)) ctx.lineTo(X(q[0]), Y(q[1]));
    ctx.stroke();
  }

  function redraw() {
    const v = val(), d = devicePixelRatio * S.view.z, dpr = devicePixelRatio;
    ctx.clearRect(0, 0, E.draw.width, E.draw.height);
    ctx.globalAlpha = 0.7;
    for (const s of [...S.pending, ...(S.drawing ? [S.drawing] : [])])
      strokePath(s, s.erase ? '#ffffff' : colour(s.cls));
    ctx.globalAlpha = 1;
    if (v.box) {
      ctx.setLineDash([6, 4]); ctx.lineWidth = 2 * dpr; ctx.strokeStyle = '#facc15';
      ctx.strokeRect(X(v.box[0] - .5), Y(v.box[1] - .5), (v.box[2] - v.box[0]) * d, (v.box[3] - v.box[1]) * d);
      ctx.setLineDash([]);
    }
    const onTheWay = parts.protocol.clicksOnTheWay();
    for (const [x, y, pos, waiting] of [...(v.markers || []), ...onTheWay.map((w) => [w.x, w.y, w.tool === 'add' ? 1 : 0, 1])]) {
      ctx.beginPath(); ctx.arc(X(x), Y(y), 6 * dpr, 0, 7);
      ctx.fillStyle = pos ? '#16a34a' : '#dc2626'; ctx.globalAlpha = waiting ? 0.6 : 1; ctx.fill();
      ctx.lineWidth = 2 * dpr; ctx.strokeStyle = '#ffffff'; ctx.stroke(); ctx.globalAlpha = 1;
    }
    if (S.corner) {
      const [x, y] = S.corner, r = 9 * dpr;
      ctx.lineWidth = 2 * dpr; ctx.strokeStyle = '#facc15';
      ctx.beginPath(); ctx.moveTo(X(x) - r, Y(y)); ctx.lineTo(X(x) + r, Y(y));
      ctx.moveTo(X(x), Y(y) - r); ctx.lineTo(X(x), Y(y) + r); ctx.stroke();
    }
    if (S.hover && (S.tool === 'brush' || S.tool === 'eraser')) {
      // The brush's footprint under the cursor: every pixel within the radius of its centre.
      const r = Math.max(2 * dpr, (+E.size.value + .5) * d);
      ctx.beginPath(); ctx.arc(X(S.hover[0]), Y(S.hover[1]), r, 0, 7);
      ctx.lineWidth = 2 * dpr; ctx.strokeStyle = '#ffffff'; ctx.stroke();
      ctx.lineWidth = dpr; ctx.strokeStyle = '#000000'; ctx.stroke();
    }
    if (S.poly) polygon();
    if (S.preview !== null) {            // a selection made on the page, ahead of the answer
      const flat = (v.outlines || {})[S.preview] || [];
      selection(flat.map((f) => { const c = []; for (let k = 0; k < f.length; k += 2) c.push([f[k], f[k + 1]]); return c; }));
      E.root.dataset.selectionDrawn = String(performance.now());
    } else if (!parts.vertices.draw() && (v.selected_outline || []).length) selection(v.selected_outline);
    // (a polygon object: its vertices as handles, vertices.js; a mask object: its pixel outline)
    const n = S.pending.length, k = onTheWay.length;
    E.hint.textContent = (v.w ? (parts.objects.shown() ? OBJECT_HINTS : HINTS)[S.tool] + parts.objects.target() +
      parts.vertices.hint() : 'No image yet: add images, or start the app with a dataset') +
      (n ? ` · ${n} stroke${n > 1 ? 's' : ''} not applied yet (Enter applies)` : '') +
      (k ? ` · ${k} click${k > 1 ? 's' : ''} on the way` : '');
  }

  // The selected object's outlines (through its boundary pixels' centres): white under blue.
  function selection(outlines) {
    const dpr = devicePixelRatio;
    const path = () => {
      ctx.beginPath();
      for (const c of outlines) {
        if (!c.length) continue;
        ctx.moveTo(X(c[0][0]), Y(c[0][1]));
        for (const q of c.slice(1)) ctx.lineTo(X(q[0]), Y(q[1]));
        ctx.closePath();
      }
    };
    ctx.lineJoin = 'round';
    path(); ctx.lineWidth = 4 * dpr; ctx.strokeStyle = '#ffffff'; ctx.stroke();
    path(); ctx.lineWidth = 2 * dpr; ctx.strokeStyle = '#2563eb'; ctx.stroke();
  }

  function polygon() {
    const dpr = devicePixelRatio, col = colour(val().cls ?? 1), poly = S.poly;
    const path = () => {
      ctx.beginPath(); ctx.moveTo(X(poly[0][0]), Y(poly[0][1]));
      for (const q of poly.slice(1)) ctx.lineTo(X(q[0]), Y(q[1]));
      if (S.hover && S.tool === 'polygon') ctx.lineTo(X(S.hover[0]), Y(S.hover[1]));
    };
    ctx.lineJoin = 'round';
    path(); ctx.lineWidth = 4 * dpr; ctx.strokeStyle = '#ffffff'; ctx.stroke();
    path(); ctx.lineWidth = 2 * dpr; ctx.strokeStyle = col; ctx.stroke();
    poly.forEach(([x, y], i) => {
      const r = (i === 0 && poly.length >= 3 ? 6 : 3.5) * dpr;
      ctx.beginPath(); ctx.arc(X(x), Y(y), r, 0, 7);
      ctx.fillStyle = i === 0 ? '#facc15' : '#ffffff'; ctx.fill();
      ctx.lineWidth = dpr; ctx.strokeStyle = '#111827'; ctx.stroke();
    });
  }

  return {redraw};
})();
