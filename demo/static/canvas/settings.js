// The bar's settings (brush size, wand tolerance, mask opacity, outline) and the choices
// remembered in this browser across reloads: opacity, brush size, overwrite rule, outline.
parts.settings = (() => {
  const MEMORY = 'segcore-canvas';
  function recall() { try { return JSON.parse(localStorage.getItem(MEMORY) || '{}') || {}; } catch (e) { return {}; } }
  function remember(patch) {
    Object.assign(S.memory, patch);
    try { localStorage.setItem(MEMORY, JSON.stringify(Object.assign(recall(), patch))); } catch (e) { /* private mode */ }
  }
  S.memory = recall();
  // The object boundaries fade with the mask.
  function opacity() { E.mask.style.opacity = E.opacity.value; E.edges.style.opacity = E.opacity.value; }
  if (S.memory.opacity !== undefined) E.opacity.value = String(S.memory.opacity);
  opacity();

  E.opacity.addEventListener('input', () => { opacity(); remember({opacity: +E.opacity.value}); });
  E.size.addEventListener('input', () => remember({size: +E.size.value}));
  E.outline.addEventListener('change', () => { parts.protocol.setView({outline: E.outline.checked}); remember({outline: E.outline.checked}); });

  // A new photo: the brush's range follows its size, the wand starts at the photo's own tolerance.
  function newPhoto(v) {
    const big = Math.max(8, Math.round(Math.hypot(v.w || 0, v.h || 0) / 25));
    E.size.max = String(Math.max(big * 4, 20));
    E.size.value = String(S.memory.size ?? v.brush ?? Math.max(2, Math.round(big / 3)));
    if (v.tolerance !== undefined) E.tol.value = String(v.tolerance);
  }

  // [ / ]: at least one pixel of radius each press; radius 0 paints a 1-pixel-wide line.
  function size(f) {
    const r = +E.size.value;
    E.size.value = String(Math.max(0, f > 1 ? Math.max(r + 1, Math.round(r * f)) : Math.min(r - 1, Math.round(r * f))));
    remember({size: +E.size.value});
    parts.draw.redraw();
  }

  function toggleOutline() { parts.protocol.setView({outline: !E.outline.checked}); }

  // data-photo-drawn: when the photo was drawn (for benchmarks; layers.js: the mask and the
  // object boundaries; protocol.js: data-rendered, the rest).
  E.photo.addEventListener('load', () => { E.root.dataset.photoDrawn = String(performance.now()); });

  return {remember, newPhoto, size, toggleOutline};
})();
