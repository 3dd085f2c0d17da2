// View and zoom: the stage fitted to the window, zoom at a point, pan, and image pixels to
// screen pixels and back. The photo and mask are one element sized to the zoomed image; the
// drawing canvas stays the stage's size and draws in screen pixels.
parts.view = (() => {
  const view = S.view;

  function fit() {
    const v = val();
    if (!v.w) { E.stage.style.width = '0px'; E.stage.style.height = '0px'; return; }
    const availW = Math.max(200, E.body.clientWidth - E.side.offsetWidth - 16);
    const top = E.stage.getBoundingClientRect().top + window.scrollY;
    const availH = Math.max(240, window.innerHeight - top - (window.__segcoreBelow || 165));
    view.fit = Math.min(availW / v.w, availH / v.h);
    const w = Math.max(1, Math.round(v.w * view.fit)), h = Math.max(1, Math.round(v.h * view.fit));
    E.stage.style.width = w + 'px'; E.stage.style.height = h + 'px';
    view.sw = w; view.sh = h;
    E.draw.width = Math.round(w * devicePixelRatio); E.draw.height = Math.round(h * devicePixelRatio);
    parts.classes.fitList(h);
    parts.objects.fitList(h);
    if (view.fitted) { view.z = view.fit; view.ox = 0; view.oy = 0; }
    place();
  }

  function place() {
    const v = val();
    const W = (v.w || 0) * view.z, H = (v.h || 0) * view.z, keep = 32;
    view.ox = Math.round(Math.min(view.sw - keep, Math.max(keep - W, view.ox)));
    view.oy = Math.round(Math.min(view.sh - keep, Math.max(keep - H, view.oy)));
    Object.assign(E.view.style, {left: view.ox + 'px', top: view.oy + 'px', width: W + 'px', height: H + 'px'});
    E.photo.style.imageRendering = view.z >= 2 ? 'pixelated' : 'auto';
    // A big photo came smaller: its full resolution is fetched once the view needs more pixels.
    const past = view.z > (v.photo_scale || 1) * 1.05;
    if (v.photo_full && S.shown.full !== v.photo_full && past) {
      const url = S.shown.full = v.photo_full, full = new Image();
      full.onload = () => { if (S.shown.full === url) { E.photo.src = url; E.root.dataset.full = '1'; } };
      full.src = url;
    }
    // ... and so is its whole mask (the server sends it from then on, for this photo).
    if (v.photo_full && !v.full_mask && past) parts.protocol.setView({full_mask: true});
    E.root.dataset.zoom = String(view.z);
    E.root.dataset.offsetX = String(view.ox);
    E.root.dataset.offsetY = String(view.oy);
    parts.draw.redraw();
  }

  function zoomAt(z, sx, sy) {
    if (!val().w) return;
    z = Math.min(32, Math.max(Math.min(view.fit, 1) / 2, z));
    view.ox = sx - (sx - view.ox) * z / view.z;
    view.oy = sy - (sy - view.oy) * z / view.z;
    view.z = z; view.fitted = false;
    place();
  }

  // Where a zoom key zooms: at the cursor when it is over the image, else at the stage's centre.
  function zoomKey(what) {
    const c = S.hover ? [S.hover[0] + .5, S.hover[1] + .5].map((p, i) => p * view.z + (i ? view.oy : view.ox))
      : [view.sw / 2, view.sh / 2];
    if (what === 'fit') { view.fitted = true; fit(); }
    else zoomAt(what === 'in' ? view.z * 1.25 : what === 'out' ? view.z / 1.25 : 1, c[0], c[1]);
  }

  function panBy(dx, dy) {
    view.ox = S.panning.ox + dx; view.oy = S.panning.oy + dy;
    view.fitted = false;
    place();
  }

  // The image pixel under a pointer event (clamped to the image), and whether it is on it.
  function point(e) {
    const r = E.stage.getBoundingClientRect(), v = val();
    const fx = Math.floor((e.clientX - r.left - view.ox) / view.z), fy = Math.floor((e.clientY - r.top - view.oy) / view.z);
    const x = Math.min(v.w - 1, Math.max(0, fx)), y = Math.min(v.h - 1, Math.max(0, fy));
    return Object.assign([x, y], {on: x === fx && y === fy});
  }

  // Image pixel (x, y)'s centre on the drawing canvas (device pixels).
  const X = (x) => ((x + .5) * view.z + view.ox) * devicePixelRatio;
  const Y = (y) => ((y + .5) * view.z + view.oy) * devicePixelRatio;

  // A new value: fitted again where another photo opened (that reads the page's layout), else
  // drawn where it is; the lists' heights follow at the next frame.
  let fittedTo = null;
  function onValue() {
    const v = val(), photo = `${v.item}|${v.w}x${v.h}`;
    if (photo !== fittedTo) { fittedTo = photo; fit(); return; }
    place();
    requestAnimationFrame(() => { if (view.sh) { parts.classes.fitList(view.sh); parts.objects.fitList(view.sh); } });
  }

  // Fit again when the window changes, or when panels above the canvas come and go (the first
  // screen) or the column's width changes: observed, not polled.
  let lastTop = null, lastWidth = null;
  function relayout() {
    const top = Math.round(E.stage.getBoundingClientRect().top + window.scrollY), width = E.body.clientWidth;
    if (top !== lastTop || width !== lastWidth) { lastTop = top; lastWidth = width; fit(); }
  }
  window.addEventListener('resize', fit);
  if (window.ResizeObserver) {
    const watcher = new ResizeObserver(relayout);
    watcher.observe(element.closest('.gradio-container') || document.body);
    watcher.observe(E.body);
  }

  return {fit, onValue, place, zoomAt, zoomKey, panBy, point, X, Y};
})();
