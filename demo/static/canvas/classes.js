// The class list beside the canvas: a row per class (hotkey, colour swatch, name, share of the
// image, eye, padlock), the rows under it (unlabelled, overlap), the filter over it, and the
// menus above it (overwrite rule, erase target).
parts.classes = (() => {
  // Padlocks and eyes drawn as SVG: headless and minimal systems may lack an emoji font.
  const LOCKED_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
    '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
  const OPEN_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
    '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
  const EYE_SVG = '<svg viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
    '<circle cx="7" cy="5" r="1.8" fill="currentColor"/></svg>';
  const EYE_OFF_SVG = '<svg viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
    '<path d="M2 9L12 1" stroke="currentColor" stroke-width="1.4"/></svg>';
  const P = () => parts.protocol;

  function row(k, name, col, share, locked, hidden, cls) {
    const r = document.createElement('div');
    r.className = 'sc-class' + (k === cls ? ' sc-on' : '') + (hidden.has(k) ? ' sc-hidden' : '');
    r.style.setProperty('--sc-col', col);
    r.dataset.k = k;
    r.title = 'class ' + k;
    r.innerHTML = `<span class="sc-key">${k <= 9 ? k : ''}</span><input class="sc-sw" type="color">` +
      `<span class="sc-name"></span><span class="sc-n"></span><button class="sc-eye" type="button"></button>` +
      '<button class="sc-lock" type="button"></button>';
    const sw = r.querySelector('.sc-sw');
    sw.value = col; sw.title = 'change the colour of ' + name;
    sw.addEventListener('click', (e) => e.stopPropagation());
    sw.addEventListener('change', () => P().send({tool: 'colour', cls: k, colour: sw.value}));
    r.querySelector('.sc-name').textContent = name;
    r.querySelector('.sc-n').textContent = share;
    const lock = r.querySelector('.sc-lock'), on = locked.has(k);
    lock.innerHTML = on ? LOCKED_SVG : OPEN_SVG;
    lock.classList.toggle('sc-locked', on);
    lock.title = on ? 'locked: no tool changes this class (click to unlock)' : 'lock this class';
    lock.addEventListener('click', (e) => {
      e.stopPropagation();
      const now = new Set(val().locked || []);
      on ? now.delete(k) : now.add(k);
      P().setValue({locked: [...now]});
      render();
      P().send({tool: 'lock', cls: k, locked: !on});
    });
    const eye = r.querySelector('.sc-eye'), off = hidden.has(k);
    eye.innerHTML = off ? EYE_OFF_SVG : EYE_SVG;
    eye.classList.toggle('sc-off', off);
    eye.title = off ? 'hidden: not drawn on the photo (click to show)' : 'hide this class on the photo';
    eye.addEventListener('click', (e) => {
      e.stopPropagation();
      const now = new Set(val().hidden || []);
      off ? now.delete(k) : now.add(k);
      P().setView({hidden: [...now].sort((a, b) => a - b)});
    });
    r.addEventListener('click', () => select(k));
    return r;
  }

  function render() {
    const v = val(), cls = v.cls ?? 1, locked = new Set(v.locked || []), hidden = new Set(v.hidden || []);
    const want = E.filter.value.trim().toLowerCase();
    // The rows are made again only when what they show changed; an edit changes only the
    // shares, written into the rows there are.
    const sig = JSON.stringify([(v.classes || []).map(([name, col]) => [name, col]), cls, v.locked, v.hidden, want]);
    const changed = E.classes.dataset.sig !== sig;
    if (changed) {
      E.classes.dataset.sig = sig;
      E.classes.innerHTML = '';
      (v.classes || []).forEach(([name, col, share], k) => {
        if (!want || name.toLowerCase().includes(want)) E.classes.appendChild(row(k, name, col, share, locked, hidden, cls));
      });
    } else {
      for (const r of E.classes.children) {
        const n = r.querySelector('.sc-n'), share = ((v.classes || [])[+r.dataset.k] || [])[2] ?? '';
        if (n.textContent !== share) n.textContent = share;
      }
    }
    const legendSig = JSON.stringify(v.legend || []);
    if (E.legend.dataset.sig !== legendSig) legend(v, legendSig);
    // The erase target: void, or one of the classes.
    const opts = [[v.void ?? 255, 'unlabelled (void)'], ...(v.classes || []).map(([name], k) => [k, name])];
    const optsSig = JSON.stringify(opts);
    if (E.erase.dataset.sig !== optsSig) {
      E.erase.innerHTML = '';
      for (const [k, name] of opts) { const o = document.createElement('option'); o.value = String(k); o.textContent = name; E.erase.appendChild(o); }
      E.erase.dataset.sig = optsSig;
    }
    if (v.erase_to !== undefined) E.erase.value = String(v.erase_to);
    if (v.overwrite) E.overwrite.value = v.overwrite;
    E.outline.checked = !!v.outline;
    // (scrolling reads the page's layout: only when the rows changed)
    const on = changed && E.classes.querySelector('.sc-on');
    if (on) on.scrollIntoView({block: 'nearest'});
  }

  // The rows under the classes (unlabelled, overlap).
  function legend(v, sig) {
    E.legend.dataset.sig = sig;
    E.legend.innerHTML = '';
    for (const [name, col, share] of v.legend || []) {
      if (!share) continue;
      const r = document.createElement('div');
      r.className = 'sc-class';
      r.innerHTML = '<span class="sc-key"></span><span class="sc-sw"></span><span class="sc-name"></span><span class="sc-n"></span>';
      const sw = r.querySelector('.sc-sw');
      if (col) sw.style.background = col; else sw.style.visibility = 'hidden';
      r.querySelector('.sc-name').textContent = name;
      r.querySelector('.sc-n').textContent = share;
      E.legend.appendChild(r);
    }
  }

  // The class list scrolls within the stage's height (h), however many classes there are;
  // with an object list under it, it takes at most 40% of the room.
  function fitList(h) {
    const listTop = E.classes.getBoundingClientRect().top - E.stage.getBoundingClientRect().top;
    const room = h - listTop - E.legend.offsetHeight - 8;
    E.classes.style.maxHeight = (parts.objects.shown() ? Math.max(60, Math.round(room * 0.4)) : Math.max(120, room)) + 'px';
  }

  function select(k) {
    if (k < 0 || k >= (val().classes || []).length) return;
    P().choose({cls: k});
    render(); parts.draw.redraw();
  }

  // The filter (type-ahead): the rows whose name holds the text; the only one left is selected
  // at once, Enter selects the first, Esc clears; 0-9 pick the first ten.
  const shownRows = () => [...E.classes.querySelectorAll('.sc-class')].map((r) => +r.dataset.k);
  E.filter.addEventListener('input', () => {
    render();
    const left = shownRows();
    if (E.filter.value.trim() && left.length === 1) select(left[0]);
  });
  E.filter.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const left = shownRows();
      if (left.length) select(left[0]);
      E.filter.blur();
      e.preventDefault();
    } else if (e.key === 'Escape') {
      E.filter.value = ''; render(); E.filter.blur();
    }
  });
  function focusFilter() { E.filter.focus(); E.filter.select(); }
  E.overwrite.addEventListener('change', () => { P().choose({overwrite: E.overwrite.value}); parts.settings.remember({overwrite: E.overwrite.value}); });
  E.erase.addEventListener('change', () => P().choose({erase_to: +E.erase.value}));

  return {render, fitList, select, focusFilter};
})();
