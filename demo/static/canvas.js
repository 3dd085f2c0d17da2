// The workspace canvas: photo, mask, markers and pending brush strokes, with the tools.
// Runs as gr.HTML's js_on_load: `element`, `props`, `trigger` and `watch` come from Gradio.
// Clicks of the point tools go to the server at once (trigger 'select'); brush strokes stay
// here as polylines in image pixels (props.value.pending) until applied, and go along with
// every event whose inputs include this component, so no button can lose them.
const $ = (s) => element.querySelector(s);
const root = $('.sc-ws'), body = $('.sc-body'), stage = $('.sc-stage');
const viewEl = $('.sc-view'), photo = $('.sc-photo'), mask = $('.sc-mask'), cv = $('.sc-draw'), ctx = cv.getContext('2d');
const classesEl = $('.sc-classes'), sizeEl = $('.sc-size'), tolEl = $('.sc-tol'), opEl = $('.sc-opacity');
const sideEl = $('.sc-side'), legendEl = $('.sc-legend'), owEl = $('.sc-overwrite'), eraseEl = $('.sc-erase');
const hint = $('.sc-hint'), outlineEl = $('.sc-outline'), filterEl = $('.sc-filter');
const HINTS = {
  add: 'Add (Q): click on what belongs to the class; each click updates the mask',
  remove: 'Remove (E): click on what does not belong to the class',
  box: 'Box (X): click two opposite corners around the object',
  wand: 'Wand (W): click a region of similar colour to fill it with the class',
  brush: 'Brush (B): paint the class; Enter applies',
  eraser: 'Eraser (N): paint to erase (to the "erase to" choice); Enter applies',
  polygon: 'Polygon (P): click the corners; Enter or a click on the first one closes it, Backspace drops the last, Esc cancels',
};
// The one event the canvas sends (demo/canvas.py's CanvasEvent reads it): gr.SelectData's
// public fields, the pixel as `index` and what happened as `value`.
function send(what) {
  trigger('select', {index: what.x === undefined ? null : [what.x, what.y], value: what});
}
// Padlocks drawn as SVG: headless and minimal systems may lack an emoji font.
const LOCKED_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
  '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
const OPEN_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
  '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
// Eyes: open, and struck through (the class is not drawn).
const EYE_SVG = '<svg viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
  '<circle cx="7" cy="5" r="1.8" fill="currentColor"/></svg>';
const EYE_OFF_SVG = '<svg viewBox="0 0 14 10"><path d="M1 5c3-5 9-5 12 0c-3 5-9 5-12 0z" fill="none" stroke="currentColor" stroke-width="1.3"/>' +
  '<path d="M2 9L12 1" stroke="currentColor" stroke-width="1.4"/></svg>';
// Clicks sent but not answered yet: their markers are drawn at once, one goes per answer.
let tool = 'add', drawing = null, hover = null, shown = {}, queued = [];
// The view: screen (CSS) pixels per image pixel, and where the image's corner is in the stage.
// `fitted` until the user zooms or pans: then edits and resizes keep the view.
const view = {z: 1, ox: 0, oy: 0, fit: 1, fitted: true, sw: 0, sh: 0};
let panning = null, space = false;
// The polygon being drawn: its vertices in image pixels (null: none open).
let poly = null;
const val = () => props.value || {};
const pending = () => val().pending || [];
function setValue(patch) { props.value = Object.assign({}, val(), patch); }
function colour(k) { const c = (val().classes || [])[k]; return c ? c[1] : '#ffffff'; }

function fit() {
  const v = val();
  if (!v.w) { stage.style.width = '0px'; stage.style.height = '0px'; return; }
  const availW = Math.max(200, body.clientWidth - sideEl.offsetWidth - 16);
  const top = stage.getBoundingClientRect().top + window.scrollY;
  const availH = Math.max(240, window.innerHeight - top - (window.__segcoreBelow || 165));
  view.fit = Math.min(availW / v.w, availH / v.h);
  const w = Math.max(1, Math.round(v.w * view.fit)), h = Math.max(1, Math.round(v.h * view.fit));
  stage.style.width = w + 'px'; stage.style.height = h + 'px';
  view.sw = w; view.sh = h;
  cv.width = Math.round(w * devicePixelRatio); cv.height = Math.round(h * devicePixelRatio);
  // The class list scrolls within the stage's height, however many classes there are.
  const listTop = classesEl.getBoundingClientRect().top - stage.getBoundingClientRect().top;
  classesEl.style.maxHeight = Math.max(120, h - listTop - legendEl.offsetHeight - 8) + "px";
  if (view.fitted) { view.z = view.fit; view.ox = 0; view.oy = 0; }
  place();
}

// Zoom and pan: the photo and mask are one element sized to the zoomed image; the drawing
// canvas stays the stage's size and draws in screen pixels.
function place() {
  const v = val();
  const W = (v.w || 0) * view.z, H = (v.h || 0) * view.z, keep = 32;
  view.ox = Math.round(Math.min(view.sw - keep, Math.max(keep - W, view.ox)));
  view.oy = Math.round(Math.min(view.sh - keep, Math.max(keep - H, view.oy)));
  Object.assign(viewEl.style, {left: view.ox + 'px', top: view.oy + 'px', width: W + 'px', height: H + 'px'});
  photo.style.imageRendering = view.z >= 2 ? 'pixelated' : 'auto';
  // A big photo came smaller: its full resolution is fetched once the view needs more pixels.
  if (v.photo_full && shown.full !== v.photo_full && view.z > (v.photo_scale || 1) * 1.05) {
    const url = shown.full = v.photo_full, full = new Image();
    full.onload = () => { if (shown.full === url) { photo.src = url; root.dataset.full = '1'; } };
    full.src = url;
  }
  // ... and so is its whole mask (the server sends it from then on, for this photo).
  if (v.photo_full && !v.full_mask && view.z > (v.photo_scale || 1) * 1.05) {
    setValue({full_mask: true});
    send({tool: 'view'});
  }
  root.dataset.zoom = String(view.z);
  root.dataset.offsetX = String(view.ox);
  root.dataset.offsetY = String(view.oy);
  redraw();
}

function zoomAt(z, sx, sy) {
  const v = val();
  if (!v.w) return;
  z = Math.min(32, Math.max(Math.min(view.fit, 1) / 2, z));
  view.ox = sx - (sx - view.ox) * z / view.z;
  view.oy = sy - (sy - view.oy) * z / view.z;
  view.z = z; view.fitted = false;
  place();
}

// Where a zoom key zooms: at the cursor when it is over the image, else at the stage's centre.
function zoomKey(what) {
  const c = hover ? [hover[0] + .5, hover[1] + .5].map((p, i) => p * view.z + (i ? view.oy : view.ox))
    : [view.sw / 2, view.sh / 2];
  if (what === 'fit') { view.fitted = true; fit(); }
  else zoomAt(what === 'in' ? view.z * 1.25 : what === 'out' ? view.z / 1.25 : 1, c[0], c[1]);
}

// Image pixel (x, y)'s centre on the drawing canvas (device pixels).
const X = (x) => ((x + .5) * view.z + view.ox) * devicePixelRatio;
const Y = (y) => ((y + .5) * view.z + view.oy) * devicePixelRatio;

function strokePath(s, style) {
  const d = devicePixelRatio * view.z;
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
  const v = val(), d = devicePixelRatio * view.z;
  ctx.clearRect(0, 0, cv.width, cv.height);
  ctx.globalAlpha = 0.7;
  for (const s of [...pending(), ...(drawing ? [drawing] : [])])
    strokePath(s, s.erase ? '#ffffff' : colour(s.cls));
  ctx.globalAlpha = 1;
  if (v.box) {
    ctx.setLineDash([6, 4]); ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#facc15';
    ctx.strokeRect(X(v.box[0] - .5), Y(v.box[1] - .5), (v.box[2] - v.box[0]) * d, (v.box[3] - v.box[1]) * d);
    ctx.setLineDash([]);
  }
  const now = performance.now();
  queued = queued.filter((q) => now - q.t < 15000);
  for (const [x, y, pos, waiting] of [...(v.markers || []), ...queued.map((q) => [q.x, q.y, q.pos, 1])]) {
    ctx.beginPath(); ctx.arc(X(x), Y(y), 6 * devicePixelRatio, 0, 7);
    ctx.fillStyle = pos ? '#16a34a' : '#dc2626'; ctx.globalAlpha = waiting ? 0.6 : 1; ctx.fill();
    ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#ffffff'; ctx.stroke(); ctx.globalAlpha = 1;
  }
  if (v.corner) {
    const [x, y] = v.corner, r = 9 * devicePixelRatio;
    ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#facc15';
    ctx.beginPath(); ctx.moveTo(X(x) - r, Y(y)); ctx.lineTo(X(x) + r, Y(y));
    ctx.moveTo(X(x), Y(y) - r); ctx.lineTo(X(x), Y(y) + r); ctx.stroke();
  }
  if (hover && (tool === 'brush' || tool === 'eraser')) {
    // The brush's footprint under the cursor: every pixel within the radius of its centre.
    const r = Math.max(2 * devicePixelRatio, (+sizeEl.value + .5) * d);
    ctx.beginPath(); ctx.arc(X(hover[0]), Y(hover[1]), r, 0, 7);
    ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#ffffff'; ctx.stroke();
    ctx.lineWidth = devicePixelRatio; ctx.strokeStyle = '#000000'; ctx.stroke();
  }
  if (poly) drawPolygon();
  const n = pending().length;
  hint.textContent = (v.w ? HINTS[tool] : 'No image yet: add images, or start the app with a dataset') +
    (n ? ` · ${n} stroke${n > 1 ? 's' : ''} not applied yet (Enter applies)` : '') +
    (queued.length ? ` · ${queued.length} click${queued.length > 1 ? 's' : ''} on the way` : '');
}

function drawPolygon() {
  const dpr = devicePixelRatio, col = colour(val().cls ?? 1);
  const path = () => {
    ctx.beginPath(); ctx.moveTo(X(poly[0][0]), Y(poly[0][1]));
    for (const q of poly.slice(1)) ctx.lineTo(X(q[0]), Y(q[1]));
    if (hover && tool === 'polygon') ctx.lineTo(X(hover[0]), Y(hover[1]));
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

// Close the polygon: its inside goes to the server as one candidate region (one undo step).
function closePolygon() {
  if (!poly) return false;
  const pts = poly;
  if (new Set(pts.map((p) => p.join(','))).size < 3) { hint.textContent = 'A polygon needs at least three corners'; return true; }
  poly = null;
  redraw();
  send({tool: 'polygon', points: pts, cls: val().cls ?? 1});
  return true;
}

// Show the mask drawn otherwise (an eye, the outline switch): the server draws it again.
function setView(patch) {
  setValue(patch);
  renderClasses();
  send({tool: 'view'});
}

function renderClasses() {
  const v = val(), cls = v.cls ?? 1, locked = new Set(v.locked || []), hidden = new Set(v.hidden || []);
  classesEl.innerHTML = '';
  const want = filterEl.value.trim().toLowerCase();
  (v.classes || []).forEach(([name, col, share], k) => {
    if (want && !name.toLowerCase().includes(want)) return;
    const row = document.createElement('div');
    row.className = 'sc-class' + (k === cls ? ' sc-on' : '') + (hidden.has(k) ? ' sc-hidden' : '');
    row.style.setProperty('--sc-col', col);
    row.dataset.k = k;
    row.title = 'class ' + k;
    row.innerHTML = `<span class="sc-key">${k <= 9 ? k : ''}</span><input class="sc-sw" type="color">` +
      `<span class="sc-name"></span><span class="sc-n"></span><button class="sc-eye" type="button"></button>` +
      '<button class="sc-lock" type="button"></button>';
    const sw = row.querySelector('.sc-sw');
    sw.value = col; sw.title = 'change the colour of ' + name;
    sw.addEventListener('click', (e) => e.stopPropagation());
    sw.addEventListener('change', () => send({tool: 'colour', cls: k, colour: sw.value}));
    row.querySelector('.sc-name').textContent = name;
    row.querySelector('.sc-n').textContent = share;
    const lock = row.querySelector('.sc-lock'), on = locked.has(k);
    lock.innerHTML = on ? LOCKED_SVG : OPEN_SVG;
    lock.classList.toggle('sc-locked', on);
    lock.title = on ? 'locked: no tool changes this class (click to unlock)' : 'lock this class';
    lock.addEventListener('click', (e) => {
      e.stopPropagation();
      const now = new Set(val().locked || []);
      on ? now.delete(k) : now.add(k);
      setValue({locked: [...now]});
      renderClasses();
      send({tool: 'lock', cls: k, locked: !on});
    });
    const eye = row.querySelector('.sc-eye'), off = hidden.has(k);
    eye.innerHTML = off ? EYE_OFF_SVG : EYE_SVG;
    eye.classList.toggle('sc-off', off);
    eye.title = off ? 'hidden: not drawn on the photo (click to show)' : 'hide this class on the photo';
    eye.addEventListener('click', (e) => {
      e.stopPropagation();
      const now = new Set(val().hidden || []);
      off ? now.delete(k) : now.add(k);
      setView({hidden: [...now].sort((a, b) => a - b)});
    });
    row.addEventListener('click', () => selectClass(k));
    classesEl.appendChild(row);
  });
  legendEl.innerHTML = '';
  for (const [name, col, share] of v.legend || []) {
    if (!share) continue;
    const row = document.createElement('div');
    row.className = 'sc-class';
    row.innerHTML = '<span class="sc-key"></span><span class="sc-sw"></span><span class="sc-name"></span><span class="sc-n"></span>';
    const sw = row.querySelector('.sc-sw');
    if (col) sw.style.background = col; else sw.style.visibility = 'hidden';
    row.querySelector('.sc-name').textContent = name;
    row.querySelector('.sc-n').textContent = share;
    legendEl.appendChild(row);
  }
  // The erase target: void, or one of the classes.
  const opts = [[v.void ?? 255, 'unlabelled (void)'], ...(v.classes || []).map(([name], k) => [k, name])];
  const sig = JSON.stringify(opts);
  if (eraseEl.dataset.sig !== sig) {
    eraseEl.innerHTML = '';
    for (const [k, name] of opts) { const o = document.createElement('option'); o.value = String(k); o.textContent = name; eraseEl.appendChild(o); }
    eraseEl.dataset.sig = sig;
  }
  if (v.erase_to !== undefined) eraseEl.value = String(v.erase_to);
  if (v.overwrite) owEl.value = v.overwrite;
  outlineEl.checked = !!v.outline;
  const on = classesEl.querySelector('.sc-on');
  if (on) on.scrollIntoView({block: 'nearest'});
}

// The filter over the class list (type-ahead): the rows whose name holds the text; the only
// one left is selected at once, Enter selects the first, Esc clears; 0-9 pick the first ten.
function shownClasses() { return [...classesEl.querySelectorAll('.sc-class')].map((r) => +r.dataset.k); }
filterEl.addEventListener('input', () => {
  renderClasses();
  const left = shownClasses();
  if (filterEl.value.trim() && left.length === 1) selectClass(left[0]);
});
filterEl.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    const left = shownClasses();
    if (left.length) selectClass(left[0]);
    filterEl.blur();
    e.preventDefault();
  } else if (e.key === 'Escape') {
    filterEl.value = ''; renderClasses(); filterEl.blur();
  }
});

function selectClass(k) {
  if (k < 0 || k >= (val().classes || []).length) return;
  setValue({cls: k});
  renderClasses(); redraw();
}

function setTool(t) {
  if (t !== 'polygon') poly = null;
  tool = t;
  element.querySelectorAll('.sc-tool').forEach((b) => b.classList.toggle('sc-on', b.dataset.tool === t));
  setCursor();
  redraw();
}

function setCursor() {
  stage.style.cursor = space ? 'grab' : (tool === 'brush' || tool === 'eraser') ? 'none' : 'crosshair';
}

// The image pixel under a pointer event (clamped to the image), and whether it is on it.
function point(e) {
  const r = stage.getBoundingClientRect(), v = val();
  const fx = Math.floor((e.clientX - r.left - view.ox) / view.z), fy = Math.floor((e.clientY - r.top - view.oy) / view.z);
  const x = Math.min(v.w - 1, Math.max(0, fx)), y = Math.min(v.h - 1, Math.max(0, fy));
  return Object.assign([x, y], {on: x === fx && y === fy});
}

stage.addEventListener('pointerdown', (e) => {
  const v = val();
  if (!v.w) return;
  if (e.button === 1 || (e.button === 0 && space)) {     // pan: middle drag, or Space + drag
    e.preventDefault();
    panning = {x: e.clientX, y: e.clientY, ox: view.ox, oy: view.oy};
    stage.setPointerCapture(e.pointerId);
    stage.style.cursor = 'grabbing';
    return;
  }
  if (e.button !== 0) return;
  e.preventDefault();
  const p = point(e);
  if (tool === 'brush' || tool === 'eraser') {
    drawing = {points: [p.slice()], radius: +sizeEl.value, erase: tool === 'eraser', cls: v.cls ?? 1};
    stage.setPointerCapture(e.pointerId);
    redraw();
    return;
  }
  if (!p.on) return;                                      // a click beside the image
  if (tool === 'polygon') {
    const first = poly && poly[0];
    if (first && poly.length >= 3 && Math.hypot(X(first[0]) - X(p[0]), Y(first[1]) - Y(p[1])) <= 8 * devicePixelRatio) closePolygon();
    else { poly = [...(poly || []), p.slice()]; redraw(); }
    return;
  }
  // The second corner of a box ends it whatever the answer: the server forgets the first.
  if (tool === 'box' && v.corner) { setValue({corner: null}); redraw(); }
  if (tool === 'add' || tool === 'remove') { queued.push({x: p[0], y: p[1], pos: tool === 'add' ? 1 : 0, t: performance.now()}); redraw(); }
  send({tool: tool, x: p[0], y: p[1], cls: v.cls ?? 1, tolerance: +tolEl.value});
});
// No autoscroll on a middle click over the stage.
stage.addEventListener('mousedown', (e) => { if (e.button === 1) e.preventDefault(); });
stage.addEventListener('pointermove', (e) => {
  if (!val().w) return;
  if (panning) {
    view.ox = panning.ox + e.clientX - panning.x; view.oy = panning.oy + e.clientY - panning.y;
    view.fitted = false;
    place();
    return;
  }
  const p = point(e);
  hover = p.on || drawing ? p : null;
  if (drawing) {
    const last = drawing.points[drawing.points.length - 1];
    if (last[0] !== p[0] || last[1] !== p[1]) drawing.points.push(p.slice());
  }
  if (drawing || poly || tool === 'brush' || tool === 'eraser') redraw();
});
stage.addEventListener('pointerleave', () => { hover = null; if (!drawing) redraw(); });
stage.addEventListener('pointerup', () => {
  if (panning) { panning = null; setCursor(); return; }
  if (!drawing) return;
  const s = drawing;
  drawing = null;
  setValue({pending: [...pending(), s]});
  redraw();
});
// The wheel zooms at the cursor: the image pixel under it stays under it.
stage.addEventListener('wheel', (e) => {
  if (!val().w) return;
  e.preventDefault();
  const r = stage.getBoundingClientRect(), dy = e.deltaY * (e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1);
  zoomAt(view.z * Math.pow(1.25, -dy / 100), e.clientX - r.left, e.clientY - r.top);
}, {passive: false});

element.querySelectorAll('.sc-tool').forEach((b) => b.addEventListener('click', () => setTool(b.dataset.tool)));
// Choices remembered in the browser across reloads: opacity, brush size, overwrite rule, outline.
const MEMORY = 'segcore-canvas';
function recall() { try { return JSON.parse(localStorage.getItem(MEMORY) || '{}') || {}; } catch (e) { return {}; } }
function remember(patch) { try { localStorage.setItem(MEMORY, JSON.stringify(Object.assign(recall(), patch))); } catch (e) { /* private mode */ } }
opEl.addEventListener('input', () => { mask.style.opacity = opEl.value; remember({opacity: +opEl.value}); });
sizeEl.addEventListener('input', () => { memory.size = +sizeEl.value; remember({size: memory.size}); });
owEl.addEventListener('change', () => { setValue({overwrite: owEl.value}); remember({overwrite: owEl.value}); });
outlineEl.addEventListener('change', () => { setView({outline: outlineEl.checked}); remember({outline: outlineEl.checked}); });
const memory = recall();
if (memory.opacity !== undefined) { opEl.value = String(memory.opacity); mask.style.opacity = opEl.value; }
// The rule and the outline live on the server too: told once the first photo is here.
let told = false;
function tell() {
  const v = val(), patch = {};
  if (told || !v.w) return;
  told = true;
  if (memory.overwrite && memory.overwrite !== v.overwrite) patch.overwrite = memory.overwrite;
  if (memory.outline !== undefined && !!memory.outline !== !!v.outline) patch.outline = !!memory.outline;
  if (Object.keys(patch).length) { owEl.value = patch.overwrite || owEl.value; setView(patch); }
}
eraseEl.addEventListener('change', () => setValue({erase_to: +eraseEl.value}));
// data-arrived / data-drawn: when the last value came and its mask was drawn (for benchmarks).
photo.addEventListener('load', () => { root.dataset.photoDrawn = String(performance.now()); });
mask.addEventListener('load', () => { root.dataset.drawn = String(performance.now()); root.dataset.shown = String(val().seq ?? ''); });

function onValue() {
  const v = val();
  root.dataset.arrived = String(performance.now());
  if (v.seq !== shown.seq) { shown.seq = v.seq; queued.shift(); }
  root.dataset.markers = String((v.markers || []).length);   // for tests: the run's clicks shown
  if (v.photo !== shown.photo) { photo.src = v.photo || ''; shown.photo = v.photo; shown.full = null; root.dataset.full = '0'; }
  if (v.mask !== shown.mask) { mask.src = v.mask || ''; shown.mask = v.mask; }
  // The pre-labelling model's uncertain pixels (Train tab), over the mask.
  if (v.uncertain !== shown.uncertain) { $('.sc-uncert').src = v.uncertain || ''; shown.uncertain = v.uncertain; }
  else root.dataset.shown = String(v.seq ?? '');
  if (v.item !== shown.item) {
    shown.item = v.item;
    view.fitted = true;                                   // a new photo opens fitted
    poly = null;
    if (window.__segcoreMessages) window.__segcoreMessages.closeAll();
    const big = Math.max(8, Math.round(Math.hypot(v.w || 0, v.h || 0) / 25));
    sizeEl.max = String(Math.max(big * 4, 20));
    sizeEl.value = String(memory.size ?? v.brush ?? Math.max(2, Math.round(big / 3)));
    if (v.tolerance !== undefined) tolEl.value = String(v.tolerance);
    queued = [];
  }
  renderClasses();
  fit();
  tell();
}
watch('value', onValue);
window.addEventListener('resize', fit);
// Panels above the canvas come and go (the first screen, messages): fit again when it moves.
let lastTop = null;
setInterval(() => {
  const top = Math.round(stage.getBoundingClientRect().top + window.scrollY);
  if (top !== lastTop) { lastTop = top; fit(); }
}, 400);
onValue();
setTool('add');

// Keyboard shortcuts, once per page: keys never act while typing in a field.
window.__segcore = {
  setTool, selectClass, zoomKey,
  // The tools' keys as Python's table (demo/canvas.py TOOLS) wrote them on the buttons.
  toolKeys: Object.fromEntries([...element.querySelectorAll('.sc-tool')].map((b) => [b.dataset.key, b.dataset.tool])),
  outline: () => setView({outline: !outlineEl.checked}),
  filter: () => { filterEl.focus(); filterEl.select(); },
  // [ / ]: at least one pixel of radius each press; radius 0 paints a 1-pixel-wide line.
  size: (f) => {
    const r = +sizeEl.value;
    sizeEl.value = String(Math.max(0, f > 1 ? Math.max(r + 1, Math.round(r * f)) : Math.min(r - 1, Math.round(r * f))));
    memory.size = +sizeEl.value; remember({size: memory.size}); redraw();
  },
  space: (on) => { if (space !== on) { space = on; setCursor(); } },
  // The open polygon takes Enter (close), Backspace (drop the last corner) and Esc (cancel).
  polygon: (what) => {
    if (!poly) return false;
    if (what === 'close') return closePolygon();
    if (what === 'back') poly = poly.length > 1 ? poly.slice(0, -1) : null;
    else poly = null;
    redraw();
    return true;
  },
};
if (!window.__segcoreKeys) {
  window.__segcoreKeys = true;
  const press = (id) => { const b = document.getElementById(id); if (b) b.click(); };
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    const k = e.key.toLowerCase(), s = window.__segcore;
    let done = true;
    if ((e.ctrlKey || e.metaKey) && k === 'z' && !e.shiftKey) press('undo-btn');
    else if ((e.ctrlKey || e.metaKey) && (k === 'y' || (k === 'z' && e.shiftKey))) press('redo-btn');
    else if (e.ctrlKey || e.metaKey || e.altKey) done = false;
    else if (e.code === 'Digit1' && e.shiftKey) s.zoomKey('1:1');
    else if (k === ' ') s.space(true);
    else if (k === '+' || k === '=') s.zoomKey('in');
    else if (k === '-' || k === '_') s.zoomKey('out');
    else if (k === 'f') s.zoomKey('fit');
    else if (k === 'o') s.outline();
    else if (k === '/') s.filter();
    else if (k === 'a') press('prev-btn');
    else if (k === 'd') press('next-btn');
    else if (k === 'enter') { if (!s.polygon('close')) press('apply-btn'); }
    else if (k === 'backspace') done = s.polygon('back');
    else if (k === 'escape') done = s.polygon('cancel');
    else if (k === 'r') press('reviewed-btn');
    else if (/^[0-9]$/.test(k)) s.selectClass(+k);
    else if (k in s.toolKeys) s.setTool(s.toolKeys[k]);
    else if (k === '[') s.size(0.8);
    else if (k === ']') s.size(1.25);
    else done = false;
    if (done) e.preventDefault();
  });
  document.addEventListener('keyup', (e) => {
    if (e.key === ' ' && window.__segcore) { window.__segcore.space(false); e.preventDefault(); }
  });
  window.addEventListener('blur', () => window.__segcore && window.__segcore.space(false));
  // Messages (Gradio's toasts) close by themselves: an info after 5 s, a warning after 8 s
  // (counted again when a message joins), and all of them on the next item.
  // They sit at the bottom left, under the file list and the model, covering no tool.
  const style = document.createElement('style');
  style.textContent = '.toast-wrap { top: auto !important; bottom: 6px !important; left: 6px !important; ' +
    'right: auto !important; width: 310px !important; align-items: stretch !important; } ' +
    '.toast-wrap .toast-message-text { max-height: 6em; overflow-y: auto; font-size: 13px; }';
  document.head.appendChild(style);
  const seen = new WeakMap();
  const close = (t) => { const b = t.querySelector('.toast-close'); if (b) b.click(); };
  // (On the next item, only those older than a second: a message of the move itself stays.)
  window.__segcoreMessages = {closeAll: () => document.querySelectorAll('.toast-wrap .toast-body').forEach((t) => {
    const s = seen.get(t);
    if (s && performance.now() - s.t > 1000) close(t);
  })};
  setInterval(() => {
    const now = performance.now();
    document.querySelectorAll('.toast-wrap .toast-body').forEach((t) => {
      const s = seen.get(t), text = t.textContent;
      if (!s || s.text !== text) { seen.set(t, {t: now, text}); return; }
      const life = /warning|error/i.test(t.className + ' ' + (t.querySelector('.toast-title')?.textContent || '')) ? 8000 : 5000;
      if (now - s.t > life) close(t);
    });
  }, 500);
}
