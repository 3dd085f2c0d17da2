// The workspace canvas: photo, mask, markers and pending brush strokes, with the tools.
// Runs as gr.HTML's js_on_load (demo/canvas.py joins the files of this folder in the order of
// its PARTS): `element`, `props`, `trigger` and `watch` come from Gradio. Each file is one part,
// a closure registered on `parts` that reaches the others through it at run time; they share
// the elements (E) and one state object (S). Only protocol.js talks to Python.

const $ = (s) => element.querySelector(s);
const E = {
  root: $('.sc-ws'), body: $('.sc-body'), stage: $('.sc-stage'), view: $('.sc-view'),
  photo: $('.sc-photo'), mask: $('.sc-mask'), edges: $('.sc-edges'), uncert: $('.sc-uncert'), draw: $('.sc-draw'),
  classes: $('.sc-classes'), legend: $('.sc-legend'), side: $('.sc-side'), filter: $('.sc-filter'),
  size: $('.sc-size'), tol: $('.sc-tol'), opacity: $('.sc-opacity'), outline: $('.sc-outline'),
  overwrite: $('.sc-overwrite'), erase: $('.sc-erase'), hint: $('.sc-hint'),
  tools: [...element.querySelectorAll('.sc-tool')],
  objs: $('.sc-objs'), objcount: $('.sc-objcount'), objfilter: $('.sc-objfilter'), objlist: $('.sc-objlist'),
  objbar: $('.sc-objbar'), objclass: $('.sc-objclass'), newobj: $('.sc-new'), fwd: $('.sc-fwd'), bwd: $('.sc-bwd'),
  del: $('.sc-del'), simp: $('.sc-simp'),
};
const ctx = E.draw.getContext('2d');

const S = {
  tool: 'add',
  // The view: screen (CSS) pixels per image pixel, and where the image's corner is in the
  // stage. `fitted` until the user zooms or pans: then edits and resizes keep the view.
  view: {z: 1, ox: 0, oy: 0, fit: 1, fitted: true, sw: 0, sh: 0},
  hover: null,        // the image pixel under the pointer ([x, y]; null: off the image)
  drawing: null,      // the brush or eraser stroke being drawn
  panning: null,      // a pan under way: where it started
  space: false,       // Space held: a drag pans
  poly: null,         // the polygon being drawn: its corners in image pixels (null: none open)
  vdrag: null,        // a vertex, an edge or the whole polygon being dragged (vertices.js)
  vghost: null,       // the polygon as the last vertex edit left it, drawn until its answer is shown
  vmouse: null,       // the pointer in the stage (CSS pixels), for the handle under it
  corner: null,       // a box's first corner, until the second click sends the box
  preview: null,      // an object selected on the page (Tab, a row), drawn until Python's answer
  // Strokes painted and not applied yet: {id, item, points, radius, erase, cls}. They travel
  // in the value's `pending`; an answer lists the ids it took (`taken`).
  pending: [], nextStroke: 1,
  // Requests to Python, one at a time in the order made (protocol.js).
  outbox: [], inflight: null, req: 0,
  // Choices the page made (class, rule, eyes...): field -> {at, value}; `stamp` counts them.
  chosen: {}, stamp: 0,
  shown: {},          // what is on screen: seq, item, photo, mask, edges, uncertain, full
  deltaSeq: null,     // the value whose changes (`delta`) were applied
  values: 0,          // values shown so far
  memory: {},         // choices remembered across reloads (localStorage)
};
const parts = {};
// The value's large fields (demo/canvas.py BIG_FIELDS) are kept here, out of props.value: the
// value the page sends with each request stays small, and an answer may leave out those that
// did not change. val() is the whole value: these under the small fields.
const BIG = ['mask', 'edges', 'uncertain', 'outlines', 'objects', 'selected_outline', 'polygon'];
// Of them, the pictures an answer may change in part (demo/canvas.py LAYERS; layers.js draws them).
const LAYERS = ['mask', 'edges'];
S.big = {};
let rawValue = null, wholeValue = {};
const val = () => {
  const raw = props.value || {};
  if (raw !== rawValue) { rawValue = raw; wholeValue = Object.assign({}, S.big, raw); delete wholeValue.delta; }
  return wholeValue;
};
const fresh = () => { rawValue = null; return val(); };     // val() after S.big changed
const colour = (k) => { const c = (val().classes || [])[k]; return c ? c[1] : '#ffffff'; };
