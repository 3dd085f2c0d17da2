// The object list under the class list (items of COCO, labelme, VOC with SegmentationObject):
// a row per object, top first (colour, class, id, share of the image, eye, padlock); a click
// selects it (outlined on the canvas, and its class becomes the tools' class, so they act on
// it); the bar under the list changes the selected object's class, moves it forward or
// backward, deletes it; "+ new" (M) makes the next tool start a new object. A menu shows the
// objects of one class. Every action is a request to Python (one undoable step).
parts.objects = (() => {
  const P = () => parts.protocol;
  // The row icons: the symbols of the canvas's template (demo/canvas.py), one <use> each.
  const icon = (id, box) => `<svg viewBox="${box}"><use href="#sc-i-${id}"/></svg>`;
  const EYE_SVG = icon('eye', '0 0 14 10'), EYE_OFF_SVG = icon('eye-off', '0 0 14 10');
  const LOCKED_SVG = icon('locked', '0 0 11 12'), OPEN_SVG = icon('open', '0 0 11 12');

  const shown = () => Array.isArray(val().objects);
  // A request about an object of the item on screen (refused if another item opened since).
  const ask = (what) => P().send(Object.assign({item: val().item}, what));
  const selected = () => { const v = val(); return (v.objects || []).find((o) => o.id === v.selected) || null; };
  // The object marked in the list and outlined: the one selected on the page ahead of the answer.
  const marked = () => S.preview ?? val().selected;

  // Select on the page at once (row mark and outline from the value's outlines), then ask Python.
  function choose(id, what) {
    S.preview = id;
    E.objlist.querySelectorAll('.sc-obj[data-id]').forEach((r) => r.classList.toggle('sc-on', +r.dataset.id === id));
    const cur = E.objlist.querySelector('.sc-on');
    if (cur) cur.scrollIntoView({block: 'nearest'});
    parts.draw.redraw();
    ask(what);
  }

  let shownRows = [];        // the HTML of each row on screen
  const esc = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // A row as HTML (300 rows are one innerHTML); its clicks are handled once, on the list.
  function row(o, v) {
    const col = colour(o.cls);
    const eye = o.hidden ? ['sc-eye sc-off', EYE_OFF_SVG, 'hidden: not drawn on the photo (click to show)']
      : ['sc-eye', EYE_SVG, 'hide this object on the photo'];
    const lock = o.locked ? ['sc-lock sc-locked', LOCKED_SVG, 'locked: no tool changes this object (click to unlock)']
      : ['sc-lock', OPEN_SVG, 'lock this object'];
    return `<div class="sc-obj${o.id === marked() ? ' sc-on' : ''}${o.hidden ? ' sc-hidden' : ''}" data-id="${o.id}" ` +
      `style="--sc-col:${col}" title="object ${o.id}: ${esc(o.class)}, ${o.vertices ? 'a polygon of ' + o.vertices + ' vertices' : 'a mask'}, ` +
      `${o.area.toLocaleString()} pixels, draw order ${o.order}">` +
      `<span class="sc-sw" style="background:${col}"></span><span class="sc-name">${esc(o.class)}</span>` +
      `<span class="sc-poly">${o.vertices ? '\u2B20' + o.vertices : ''}</span><span class="sc-id">#${o.id}</span><span class="sc-n">${o.share && o.share < 0.0005 ? '<0.1' : (o.share * 100).toFixed(1)}%</span>` +
      `<button class="${eye[0]}" type="button" title="${eye[2]}">${eye[1]}</button>` +
      `<button class="${lock[0]}" type="button" title="${lock[2]}">${lock[1]}</button></div>`;
  }

  E.objlist.addEventListener('click', (e) => {
    const r = e.target.closest('.sc-obj[data-id]');
    if (!r) return;
    const o = (val().objects || []).find((x) => x.id === +r.dataset.id);
    if (!o) return;
    if (e.target.closest('.sc-eye')) ask({tool: 'hide_object', obj: o.id, hidden: !o.hidden});
    else if (e.target.closest('.sc-lock')) ask({tool: 'lock_object', obj: o.id, locked: !o.locked});
    else if (o.id !== marked()) choose(o.id, {tool: 'select', obj: o.id});
  });

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
    if (!on) { E.objlist.innerHTML = ''; E.objlist.dataset.sig = ''; E.objbar.classList.remove('sc-shown'); return; }
    const objs = v.objects, names = (v.classes || []).map((c) => c[0]);
    const present = [...new Set(objs.map((o) => o.cls))].sort((a, b) => a - b);
    const want = E.objfilter.value;
    options(E.objfilter, [['', 'all classes'], ...present.map((k) => [k, names[k] ?? String(k)])],
            present.includes(+want) && want !== '' ? want : '');
    const only = E.objfilter.value === '' ? null : +E.objfilter.value;
    const rows = objs.filter((o) => only === null || o.cls === only);
    E.objcount.textContent = `Objects ${only === null ? objs.length : rows.length + ' of ' + objs.length}`;
    // The rows are made again only when an object changed; a new selection just moves the mark.
    const sig = JSON.stringify([v.item, rows, (v.classes || []).map((c) => c[1])]).replace(/"selected":(true|false)/g, '');
    if (E.objlist.dataset.sig !== sig) {
      E.objlist.dataset.sig = sig;
      // the same objects in the same order (an edit of one, a vertex moved): only its row again
      const html = rows.map((o) => row(o, v)), ids = rows.map((o) => o.id).join(','), els = E.objlist.children;
      if (objs.length && E.objlist.dataset.ids === ids && els.length === html.length) {
        html.forEach((h, k) => { if (shownRows[k] !== h) els[k].outerHTML = h; });
      } else {
        E.objlist.innerHTML = objs.length ? html.join('')
          : '<div class="sc-obj" style="cursor:default;opacity:.7">none yet: a tool makes the first</div>';
      }
      E.objlist.dataset.ids = objs.length ? ids : '';
      shownRows = html;
    } else {
      E.objlist.querySelectorAll('.sc-obj[data-id]').forEach((r) => r.classList.toggle('sc-on', +r.dataset.id === marked()));
    }
    E.newobj.classList.toggle('sc-on', !!v.new_object);
    const sel = selected();
    E.objbar.classList.toggle('sc-shown', !!sel);
    if (sel) options(E.objclass, names.map((n, k) => [k, n]), sel.cls);
    E.simp.style.display = sel && !sel.vertices ? '' : 'none';       // a mask can become a polygon
    // (scrolling reads the page's layout: only when the list or the mark changed)
    const cur = E.objlist.querySelector('.sc-on'), at = `${E.objlist.dataset.ids}|${marked()}`;
    if (cur && at !== scrolledAt) cur.scrollIntoView({block: 'nearest'});
    scrolledAt = at;
  }
  let scrolledAt = null;

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
    const sel = selected(), cls = v.cls ?? 1, name = (v.classes || [])[cls]?.[0] ?? 'object';
    const removing = S.tool === 'eraser' || S.tool === 'remove';
    if (S.tool === 'select') return '';
    if (S.tool === 'polygon') return ` · a new ${name} polygon`;
    if (sel && (sel.cls === cls || removing)) return ` · on ${sel.class} #${sel.id}`;
    if (removing) return ' · on the top object under it';
    if (!v.new_object && (S.tool === 'add' || S.tool === 'wand')) return ` · on the ${name} object under it, or a new one`;
    return ` · a new ${name} object`;
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
    else if (what === 'next') {          // the next down the list (up: back), wrapping, as Python's select_next
      const ids = (val().objects || []).map((o) => o.id), n = ids.length, k = ids.indexOf(marked());
      if (!n) return true;
      const id = k >= 0 ? ids[(k + (back ? n - 1 : 1)) % n] : ids[back ? n - 1 : 0];
      choose(id, {tool: 'select_next', step: back ? -1 : 1});
    }
    else if (what === 'delete') { const s = selected(); if (!s) return false; ask({tool: 'delete_object', obj: s.id}); }
    return true;
  }

  return {render, fitList, shown, target, key};
})();
