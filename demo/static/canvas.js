// The workspace canvas: photo, mask, markers and pending brush strokes, with the tools.
// Runs as gr.HTML's js_on_load: `element`, `props`, `trigger` and `watch` come from Gradio.
// Clicks of the point tools go to the server at once (trigger 'select'); brush strokes stay
// here as polylines in image pixels (props.value.pending) until applied, and go along with
// every event whose inputs include this component, so no button can lose them.
const $ = (s) => element.querySelector(s);
const root = $('.sc-ws'), body = $('.sc-body'), stage = $('.sc-stage');
const photo = $('.sc-photo'), mask = $('.sc-mask'), cv = $('.sc-draw'), ctx = cv.getContext('2d');
const classesEl = $('.sc-classes'), sizeEl = $('.sc-size'), tolEl = $('.sc-tol'), opEl = $('.sc-opacity');
const sideEl = $('.sc-side'), legendEl = $('.sc-legend'), owEl = $('.sc-overwrite'), eraseEl = $('.sc-erase');
const hint = $('.sc-hint');
const HINTS = {
  add: 'Add (Q): click on what belongs to the class; each click updates the mask',
  remove: 'Remove (E): click on what does not belong to the class',
  box: 'Box (X): click two opposite corners around the object',
  wand: 'Wand (W): click a region of similar colour to fill it with the class',
  brush: 'Brush (B): paint the class; Enter applies',
  eraser: 'Eraser (N): paint to erase (to the "erase to" choice); Enter applies',
};
// Padlocks drawn as SVG: headless and minimal systems may lack an emoji font.
const LOCKED_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
  '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
const OPEN_SVG = '<svg viewBox="0 0 11 12"><rect x="1" y="5" width="9" height="7" rx="1" fill="currentColor"/>' +
  '<path d="M3 5V3.5a2.5 2.5 0 0 1 5 0" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>';
// Clicks sent but not answered yet: their markers are drawn at once, one goes per answer.
let tool = 'add', scale = 1, drawing = null, hover = null, shown = {}, queued = [];
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
  scale = Math.min(availW / v.w, availH / v.h);
  const w = Math.max(1, Math.round(v.w * scale)), h = Math.max(1, Math.round(v.h * scale));
  stage.style.width = w + 'px'; stage.style.height = h + 'px';
  cv.width = Math.round(w * devicePixelRatio); cv.height = Math.round(h * devicePixelRatio);
  redraw();
}

function strokePath(s, style) {
  const d = devicePixelRatio * scale;
  ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.lineWidth = Math.max(1, (2 * s.radius + 1) * d);
  ctx.strokeStyle = style; ctx.fillStyle = style;
  ctx.beginPath();
  const p = s.points;
  if (p.length === 1) { ctx.arc((p[0][0] + .5) * d, (p[0][1] + .5) * d, Math.max(.5, (s.radius + .5) * d), 0, 7); ctx.fill(); return; }
  ctx.moveTo((p[0][0] + .5) * d, (p[0][1] + .5) * d);
  for (const q of p.slice(1)) ctx.lineTo((q[0] + .5) * d, (q[1] + .5) * d);
  ctx.stroke();
}

function redraw() {
  const v = val(), d = devicePixelRatio * scale;
  ctx.clearRect(0, 0, cv.width, cv.height);
  ctx.globalAlpha = 0.7;
  for (const s of [...pending(), ...(drawing ? [drawing] : [])])
    strokePath(s, s.erase ? '#ffffff' : colour(s.cls));
  ctx.globalAlpha = 1;
  if (v.box) {
    ctx.setLineDash([6, 4]); ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#facc15';
    ctx.strokeRect(v.box[0] * d, v.box[1] * d, (v.box[2] - v.box[0]) * d, (v.box[3] - v.box[1]) * d);
    ctx.setLineDash([]);
  }
  const now = performance.now();
  queued = queued.filter((q) => now - q.t < 15000);
  for (const [x, y, pos, waiting] of [...(v.markers || []), ...queued.map((q) => [q.x, q.y, q.pos, 1])]) {
    ctx.beginPath(); ctx.arc((x + .5) * d, (y + .5) * d, 6 * devicePixelRatio, 0, 7);
    ctx.fillStyle = pos ? '#16a34a' : '#dc2626'; ctx.globalAlpha = waiting ? 0.6 : 1; ctx.fill();
    ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#ffffff'; ctx.stroke(); ctx.globalAlpha = 1;
  }
  if (v.corner) {
    const [x, y] = v.corner, r = 9 * devicePixelRatio;
    ctx.lineWidth = 2 * devicePixelRatio; ctx.strokeStyle = '#facc15';
    ctx.beginPath(); ctx.moveTo((x + .5) * d - r, (y + .5) * d); ctx.lineTo((x + .5) * d + r, (y + .5) * d);
    ctx.moveTo((x + .5) * d, (y + .5) * d - r); ctx.lineTo((x + .5) * d, (y + .5) * d + r); ctx.stroke();
  }
  if (hover && (tool === 'brush' || tool === 'eraser')) {
    ctx.beginPath(); ctx.arc((hover[0] + .5) * d, (hover[1] + .5) * d, (+sizeEl.value + .5) * d, 0, 7);
    ctx.lineWidth = devicePixelRatio; ctx.strokeStyle = '#000000'; ctx.stroke();
  }
  const n = pending().length;
  hint.textContent = (v.w ? HINTS[tool] : 'No image yet: add images, or start the app with a dataset') +
    (n ? ` · ${n} stroke${n > 1 ? 's' : ''} not applied yet (Enter applies)` : '') +
    (queued.length ? ` · ${queued.length} click${queued.length > 1 ? 's' : ''} on the way` : '');
}

function renderClasses() {
  const v = val(), cls = v.cls ?? 1, locked = new Set(v.locked || []);
  classesEl.innerHTML = '';
  (v.classes || []).forEach(([name, col, share], k) => {
    const row = document.createElement('div');
    row.className = 'sc-class' + (k === cls ? ' sc-on' : '');
    row.dataset.k = k;
    row.title = 'class ' + k;
    row.innerHTML = `<span class="sc-key">${k <= 9 ? k : ''}</span><span class="sc-sw"></span>` +
      `<span class="sc-name"></span><span class="sc-n"></span><button class="sc-lock" type="button"></button>`;
    row.querySelector('.sc-sw').style.background = col;
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
      trigger('select', {tool: 'lock', cls: k, locked: !on});
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
}

function selectClass(k) {
  if (k < 0 || k >= (val().classes || []).length) return;
  setValue({cls: k});
  renderClasses(); redraw();
}

function setTool(t) {
  tool = t;
  element.querySelectorAll('.sc-tool').forEach((b) => b.classList.toggle('sc-on', b.dataset.tool === t));
  stage.style.cursor = (t === 'brush' || t === 'eraser') ? 'none' : 'crosshair';
  redraw();
}

function point(e) {
  const r = stage.getBoundingClientRect(), v = val();
  const x = Math.min(v.w - 1, Math.max(0, Math.floor((e.clientX - r.left) / scale)));
  const y = Math.min(v.h - 1, Math.max(0, Math.floor((e.clientY - r.top) / scale)));
  return [x, y];
}

stage.addEventListener('pointerdown', (e) => {
  const v = val();
  if (!v.w || e.button !== 0) return;
  e.preventDefault();
  const p = point(e);
  if (tool === 'brush' || tool === 'eraser') {
    drawing = {points: [p], radius: +sizeEl.value, erase: tool === 'eraser', cls: v.cls ?? 1};
    stage.setPointerCapture(e.pointerId);
    redraw();
    return;
  }
  // The second corner of a box ends it whatever the answer: the server forgets the first.
  if (tool === 'box' && v.corner) { setValue({corner: null}); redraw(); }
  if (tool === 'add' || tool === 'remove') { queued.push({x: p[0], y: p[1], pos: tool === 'add' ? 1 : 0, t: performance.now()}); redraw(); }
  trigger('select', {tool: tool, x: p[0], y: p[1], cls: v.cls ?? 1, tolerance: +tolEl.value});
});
stage.addEventListener('pointermove', (e) => {
  if (!val().w) return;
  const p = point(e);
  hover = p;
  if (drawing) {
    const last = drawing.points[drawing.points.length - 1];
    if (last[0] !== p[0] || last[1] !== p[1]) drawing.points.push(p);
  }
  if (drawing || tool === 'brush' || tool === 'eraser') redraw();
});
stage.addEventListener('pointerleave', () => { hover = null; if (!drawing) redraw(); });
stage.addEventListener('pointerup', () => {
  if (!drawing) return;
  const s = drawing;
  drawing = null;
  setValue({pending: [...pending(), s]});
  redraw();
});

element.querySelectorAll('.sc-tool').forEach((b) => b.addEventListener('click', () => setTool(b.dataset.tool)));
opEl.addEventListener('input', () => { mask.style.opacity = opEl.value; });
owEl.addEventListener('change', () => setValue({overwrite: owEl.value}));
eraseEl.addEventListener('change', () => setValue({erase_to: +eraseEl.value}));
// data-arrived / data-drawn: when the last value came and its mask was drawn (for benchmarks).
mask.addEventListener('load', () => { root.dataset.drawn = String(performance.now()); root.dataset.shown = String(val().seq ?? ''); });

function onValue() {
  const v = val();
  root.dataset.arrived = String(performance.now());
  if (v.seq !== shown.seq) { shown.seq = v.seq; queued.shift(); }
  if (v.photo !== shown.photo) { photo.src = v.photo || ''; shown.photo = v.photo; }
  if (v.mask !== shown.mask) { mask.src = v.mask || ''; shown.mask = v.mask; }
  else root.dataset.shown = String(v.seq ?? '');
  if (v.item !== shown.item) {
    shown.item = v.item;
    const big = Math.max(8, Math.round(Math.hypot(v.w || 0, v.h || 0) / 25));
    sizeEl.max = String(Math.max(big * 4, 20));
    sizeEl.value = String(v.brush || Math.max(2, Math.round(big / 3)));
    if (v.tolerance !== undefined) tolEl.value = String(v.tolerance);
    queued = [];
  }
  renderClasses();
  fit();
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
window.__segcore = {setTool, selectClass, size: (f) => { sizeEl.value = String(Math.max(1, Math.round(+sizeEl.value * f))); redraw(); }};
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
    else if (k === 'a') press('prev-btn');
    else if (k === 'd') press('next-btn');
    else if (k === 'enter') press('apply-btn');
    else if (k === 'r') press('reviewed-btn');
    else if (/^[0-9]$/.test(k)) s.selectClass(+k);
    else if (k in {q: 1, e: 1, w: 1, x: 1, b: 1, n: 1})
      s.setTool({q: 'add', e: 'remove', w: 'wand', x: 'box', b: 'brush', n: 'eraser'}[k]);
    else if (k === '[') s.size(0.8);
    else if (k === ']') s.size(1.25);
    else done = false;
    if (done) e.preventDefault();
  });
}
