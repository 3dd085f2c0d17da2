// The protocol with Python, in one place: what the page asks (send) and what it is told
// (onValue). The page sends one event, 'select', with gr.SelectData's public fields: the pixel
// as `index`, what happened as `value` (demo/canvas.py's CanvasEvent reads it). Requests go one
// at a time, in the order they were made: a key pressed or a click made while one is answered
// waits in the outbox instead of being dropped. Each carries a number (`req`) that its answer
// returns (`ack`); strokes carry ids, and an answer names those it took (`taken`).
parts.protocol = (() => {
  const WATCHDOG_MS = 30000;    // an answer that never comes (a server crash) frees the queue

  // The value's small fields; its large ones go to S.big (state.js), its changes were applied.
  function setValue(patch) {
    const next = Object.assign({}, val(), patch);
    for (const k of BIG) { if (k in next) S.big[k] = next[k]; delete next[k]; }
    delete next.delta;
    props.value = next;
  }

  // An answer's changes of the large fields the page has (demo/canvas.py for_page): the object
  // rows and outlines that changed, the box of a picture's changed pixels. A patched picture is
  // a new one (`patched`) the next whole one replaces.
  function applyDelta(d) {
    if (d.objects) {
      const had = S.big.objects || [], by = new Map(had.map((r) => [r.id, r]));
      for (const r of d.objects.rows || []) by.set(r.id, r);
      S.big.objects = (d.objects.ids || had.map((r) => r.id)).map((id) => by.get(id));
    }
    if (d.outlines) {
      const o = Object.assign({}, S.big.outlines || {}, d.outlines.set || {});
      for (const k of d.outlines.drop || []) delete o[k];
      S.big.outlines = o;
    }
    for (const k of LAYERS) {
      if (d[k]) { parts.layers.patch(k, d[k]); S.big[k] = S.shown[k] = {patched: d[k]}; }
    }
  }

  // A choice the page makes (the class, the rule, an eye, the outline): in the value at once,
  // and kept when the answer to a request sent before it arrives with the old one.
  function choose(patch) {
    S.stamp += 1;
    for (const [k, v] of Object.entries(patch)) S.chosen[k] = {at: S.stamp, value: v};
    setValue(patch);
  }

  // A finished brush or eraser stroke: pending (drawn over the photo) until an action takes it.
  function addStroke(stroke) {
    S.pending.push(Object.assign(stroke, {id: S.nextStroke++, item: val().item}));
    setValue({pending: S.pending});
  }

  // Ask Python: `what` is {tool, ...} (a tool's click, a key's action, a change of the view).
  function send(what) {
    S.outbox.push({what, upto: S.nextStroke - 1});
    pump();
    parts.draw.redraw();
  }

  function pump() {
    if (S.inflight || !S.outbox.length) return;
    const {what, upto} = S.outbox.shift();
    const req = ++S.req;
    S.inflight = {req, what, upto, stamp: S.stamp, watchdog: setTimeout(() => release(req), WATCHDOG_MS)};
    // The strokes painted before this request was made go with it (and are applied first).
    setValue({pending: S.pending.filter((s) => s.id <= upto)});
    E.root.dataset.sent = String(performance.now());         // for benchmarks: when it left the page
    trigger('select', {index: what.x === undefined ? null : [what.x, what.y], value: Object.assign({}, what, {req})});
  }

  function release(req) {
    if (!S.inflight || S.inflight.req !== req) return;
    clearTimeout(S.inflight.watchdog);
    S.inflight = null;
    pump();
  }

  // Requests not answered yet of the point tools (their markers are drawn at once).
  function clicksOnTheWay() {
    return [...(S.inflight ? [S.inflight] : []), ...S.outbox].map((q) => q.what)
      .filter((w) => w.tool === 'add' || w.tool === 'remove');
  }

  // The choices remembered in this browser that live on the server too (the overwrite rule,
  // the outline): told once, when the first photo is here.
  let told = false;
  function tell() {
    const v = val(), patch = {};
    if (told || !v.w) return;
    told = true;
    const m = S.memory;
    if (m.overwrite && m.overwrite !== v.overwrite) patch.overwrite = m.overwrite;
    if (m.outline !== undefined && !!m.outline !== !!v.outline) patch.outline = !!m.outline;
    if (Object.keys(patch).length) { E.overwrite.value = patch.overwrite || E.overwrite.value; setView(patch); }
  }

  // Show the mask drawn otherwise (an eye, the outline switch, a big photo's whole mask):
  // the server draws it again.
  function setView(patch) {
    choose(patch);
    parts.classes.render();
    send({tool: 'view'});
  }

  // A value from Python: the answer to this page's request, or to any other event of the app.
  function onValue() {
    E.root.dataset.arrived = String(performance.now());
    const raw = props.value || {};
    if (raw.delta && raw.seq !== S.deltaSeq) { S.deltaSeq = raw.seq; applyDelta(raw.delta); }
    for (const k of BIG) if (k in raw) S.big[k] = raw[k];
    const v = fresh();    // an answer's large fields left out are the ones the page has
    const answer = S.inflight && v.ack === S.inflight.req ? S.inflight : null;
    const taken = new Set(v.taken || []);
    S.pending = S.pending.filter((s) => !taken.has(s.id) && s.item === v.item);
    const patch = {pending: S.pending};
    if (answer) {
      for (const [k, c] of Object.entries(S.chosen)) if (c.at > answer.stamp) patch[k] = c.value;
      clearTimeout(answer.watchdog);
      S.inflight = null;                                  // answered: the next goes once this is shown
    }
    setValue(patch);
    // A selection drawn ahead of its answer stays until no selection is on the way.
    if ([S.inflight, ...S.outbox].every((q) => !q || !['select', 'select_next'].includes(q.what.tool))) S.preview = null;
    const shown = S.shown;
    if (v.seq !== shown.seq) shown.seq = v.seq;
    E.root.dataset.markers = String((v.markers || []).length);   // for tests: the run's clicks shown
    if (v.photo !== shown.photo) { E.photo.src = v.photo || ''; shown.photo = v.photo; shown.full = null; E.root.dataset.full = '0'; }
    if (v.mask !== shown.mask) { parts.layers.whole('mask', v.mask); shown.mask = v.mask; }
    if (v.edges !== shown.edges) { parts.layers.whole('edges', v.edges); shown.edges = v.edges; }   // object boundaries
    // The pre-labelling model's uncertain pixels (Train tab), over the mask.
    if (v.uncertain !== shown.uncertain) { E.uncert.src = v.uncertain || ''; shown.uncertain = v.uncertain; }
    // data-shown: the value whose pictures are all drawn (tests wait for it)
    const mine = ++S.values;
    parts.layers.ready().then(() => { if (mine === S.values) E.root.dataset.shown = String(v.seq ?? ''); });
    if (v.item !== shown.item) {
      shown.item = v.item;
      S.view.fitted = true;                               // a new photo opens fitted
      S.poly = null; S.corner = null;
      if (window.__segcoreMessages) window.__segcoreMessages.closeAll();
      parts.settings.newPhoto(v);
    }
    parts.vertices.onValue();
    parts.classes.render();
    parts.objects.render();
    parts.view.onValue();
    tell();
    E.root.dataset.rendered = String(performance.now());   // lists, outlines and overlays drawn
    pump();
  }

  return {setValue, choose, addStroke, send, setView, clicksOnTheWay, onValue};
})();
