// The object list under the class list (items of COCO, labelme, VOC with SegmentationObject):
// a row per object, top first (colour, class, id, share of the image, eye, padlock); a click
// selects it (outlined on the canvas, and its class becomes the tools' class, so they act on
// it); the bar under the list changes the selected object's class, moves it forward or
// backward, deletes it; "+ new" (M) makes the next tool start a new object. A menu shows the
// objects of one class. Every action is a request to Python (one undoable step).
parts.objects = (() => {
  const P = () => parts.protocol;
  const LOCKED_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
    '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
  const OPEN_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
    '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
  const EYE_SVG = '<svg viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
    '<circle cx="7" cy="5" r="1.8" fill="currentColor"/></svg>';
  const EYE_OFF_SVG = '<svg viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
    '<path d="M2 9L12 1" stroke="currentColor" stroke-width="1.4"/></svg>';

  const shown = () => Array.isArray(val().objects);
  // A request about an object of the item on screen (refused if another item opened since).
  const ask = (what) => P().send(Object.assign({item: val().item}, what));
  const selected = () => { const v = val(); return (v.objects || []).find((o) => o.id === v.selected) || null; };

  function row(o, v) {
    const r = document.createElement('div'), col = colour(o.cls);
    r.className = 'sc-obj' + (o.id === v.selected ? ' sc-on' : '') + (o.hidden ? ' sc-hidden' : '');
    r.style.setProperty('--sc-col', col);
    r.dataset.id = o.id;
    r.title = `object ${o.id}: ${o.class}, ${o.vertices ? 'a polygon of ' + o.vertices + ' vertices' : 'a mask'}, ` +
      `${o.area.toLocaleString()} pixels, draw order ${o.order}`;
    r.innerHTML = '<span class="sc-sw"></span><span class="sc-name"></span><span class="sc-poly"></span><span class="sc-id"></span>' +
      '<span class="sc-n"></span><button class="sc-eye" type="button"></button><button class="sc-lock" type="button"></button>';
    r.querySelector('.sc-sw').style.background = col;
    r.querySelector('.sc-name').textContent = o.class;
    r.querySelector('.sc-id').textContent = '#' + o.id;
    r.querySelector('.sc-poly').textContent = o.vertices ? '\u2B20' + o.vertices : '';     // a polygon: its vertices
    r.querySelector('.sc-n').textContent = (o.share * 100).toFixed(1) + '%';
    const eye = r.querySelector('.sc-eye');
    eye.innerHTML = o.hidden ? EYE_OFF_SVG : EYE_SVG;
    eye.classList.toggle('sc-off', o.hidden);
    eye.title = o.hidden ? 'hidden: not drawn on the photo (click to show)' : 'hide this object on the photo';
    eye.addEventListener('click', (e) => { e.stopPropagation(); ask({tool: 'hide_object', obj: o.id, hidden: !o.hidden}); });
    const lock = r.querySelector('.sc-lock');
    lock.innerHTML = o.locked ? LOCKED_SVG : OPEN_SVG;
    lock.classList.toggle('sc-locked', o.locked);
    lock.title = o.locked ? 'locked: no tool changes this object (click to unlock)' : 'lock this object';
    lock.addEventListener('click', (e) => { e.stopPropagation(); ask({tool: 'lock_object', obj: o.id, locked: !o.locked}); });
    r.addEventListener('click', () => { if (o.id !== val().selected) ask({tool: 'select', obj: o.id}); });
    return r;
  }

  function options(select, pairs, value) {
    const sig = JSON.stringify(pairs);
    if (select.dataset.sig !== sig) {
      select.innerHTML = '';
      for (const [k, name] of pairs) { const o = document.createElement('option'); o.value = String(k); o.textContent = name; select.appendChild(o); }
      select.dataset.sig = sig;
    }
    select.value = String(value);
  }

  function render() {
    const v = val(), on = shown();
    E.objs.classList.toggle('sc-shown', on);
    // The Select tool and the erase target are for objects / class maps only.
    E.tools.forEach((b) => { if (b.dataset.tool === 'select') b.style.display = on ? '' : 'none'; });
    E.erase.closest('.sc-opt').style.display = on ? 'none' : '';
    if (!on) { E.objlist.innerHTML = ''; E.objbar.classList.remove('sc-shown'); return; }
    const objs = v.objects, names = (v.classes || []).map((c) => c[0]);
    const present = [...new Set(objs.map((o) => o.cls))].sort((a, b) => a - b);
    const want = E.objfilter.value;
    options(E.objfilter, [['', 'all classes'], ...present.map((k) => [k, names[k] ?? String(k)])],
            present.includes(+want) && want !== '' ? want : '');
    const only = E.objfilter.value === '' ? null : +E.objfilter.value;
    const rows = objs.filter((o) => only === null || o.cls === only);
    E.objcount.textContent = `Objects ${only === null ? objs.length : rows.length + ' of ' + objs.length}`;
    // Rows are made again only where their object changed (a vertex moved changes one row of
    // hundreds): rebuilding 300 rows on every answer cost 0.1-0.8 s on a loaded machine.
    if (v.item !== cache.item) { cache.rows.clear(); cache.item = v.item; }
    const els = rows.map((o) => {
      const sig = JSON.stringify([o, o.id === v.selected, colour(o.cls)]), got = cache.rows.get(o.id);
      if (got && got.sig === sig) return got.el;
      const el = row(o, v);
      cache.rows.set(o.id, {sig, el});
      return el;
    });
    const have = [...E.objlist.children];
    if (els.length !== have.length) E.objlist.replaceChildren(...els);
    else els.forEach((el, k) => { if (have[k] !== el) have[k].replaceWith(el); });
    if (cache.rows.size > 2 * objs.length + 64) {                 // forget deleted objects' rows
      const ids = new Set(objs.map((o) => o.id));
      for (const k of [...cache.rows.keys()]) if (!ids.has(k)) cache.rows.delete(k);
    }
    if (!objs.length) E.objlist.innerHTML = '<div class="sc-obj" style="cursor:default;opacity:.7">none yet: a tool makes the first</div>';
    const sel = selected();
    E.objbar.classList.toggle('sc-shown', !!sel);
    if (sel) options(E.objclass, names.map((n, k) => [k, n]), sel.cls);
    E.simp.style.display = sel && !sel.vertices ? '' : 'none';       // a mask can become a polygon
    const cur = E.objlist.querySelector('.sc-on');
    if (cur && cache.scrolled !== cur) cur.scrollIntoView({block: 'nearest'});
    cache.scrolled = cur;
  }
  const cache = {item: null, rows: new Map(), scrolled: null};      // id -> {sig, el} of the rows shown

  // The object list scrolls within what is left of the stage's height (h).
  function fitList(h) {
    if (!shown()) return;
    const listTop = E.objlist.getBoundingClientRect().top - E.stage.getBoundingClientRect().top;
    E.objlist.style.maxHeight = Math.max(80, h - listTop - (E.objbar.offsetHeight || 0) - 8) + 'px';
  }

  // The words under the canvas: which object the next tool acts on.
  function target() {
    const v = val();
    if (!shown()) return '';
    const sel = selected(), cls = v.cls ?? 1, names = (v.classes || []).map((c) => c[0]);
    const removing = S.tool === 'eraser' || S.tool === 'remove';
    if (S.tool === 'select') return '';
    if (S.tool === 'polygon') return ` · a new ${names[cls] ?? 'object'} polygon`;
    if (sel && (sel.cls === cls || removing)) return ` · on ${sel.class} #${sel.id}`;
    if (removing) return ' · on the top object under it';
    return ` · a new ${names[cls] ?? 'object'} object`;
  }

  E.objfilter.addEventListener('change', () => { render(); fitList(S.view.sh); });
  E.newobj.addEventListener('click', () => P().send({tool: 'new_object'}));
  E.objclass.addEventListener('change', () => { const s = selected(); if (s) ask({tool: 'object_class', obj: s.id, cls: +E.objclass.value}); });
  E.fwd.addEventListener('click', () => { const s = selected(); if (s) ask({tool: 'reorder', obj: s.id, where: 'forward'}); });
  E.bwd.addEventListener('click', () => { const s = selected(); if (s) ask({tool: 'reorder', obj: s.id, where: 'backward'}); });
  E.del.addEventListener('click', () => { const s = selected(); if (s) ask({tool: 'delete_object', obj: s.id}); });
  E.simp.addEventListener('click', () => { const s = selected(); if (s) ask({tool: 'simplify', obj: s.id, tolerance: 1}); });

  // Keys: M a new object, Tab / Shift+Tab the next / previous one, Delete the selected one.
  function key(what, back) {
    if (!shown()) return false;
    if (what === 'new') P().send({tool: 'new_object'});
    else if (what === 'next') P().send({tool: 'select_next', step: back ? -1 : 1});
    else if (what === 'delete') { const s = selected(); if (!s) return false; ask({tool: 'delete_object', obj: s.id}); }
    return true;
  }

  return {render, fitList, shown, target, key};
})();
