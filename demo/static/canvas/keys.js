// Keyboard shortcuts and the action buttons under the canvas. Both reach Python through the
// protocol's queue, so a key pressed or a button clicked while a request runs waits its turn
// instead of being dropped (a Gradio button ignores clicks while its event runs). Installed
// once per page; they act on the canvas that loaded last (window.__segcore).
parts.keys = (() => {
  // An action's name as the page sends it (demo/protocol.py's table), per button under the canvas.
  const BUTTONS = {'prev-btn': 'prev', 'next-btn': 'next', 'next-open-btn': 'next_open', 'apply-btn': 'apply',
                   'undo-btn': 'undo', 'redo-btn': 'redo', 'reviewed-btn': 'reviewed'};

  // Ctrl+Z drops the last stroke painted since the last request was made, on the page; with
  // none, it undoes the last step on the server.
  function undo() {
    const claimed = Math.max(0, ...[S.inflight, ...S.outbox].filter(Boolean).map((q) => q.upto));
    const free = S.pending.filter((s) => s.id > claimed);
    if (!free.length) { parts.protocol.send({tool: 'undo'}); return; }
    const last = free[free.length - 1];
    S.pending = S.pending.filter((s) => s !== last);
    parts.protocol.setValue({pending: S.pending});
    parts.draw.redraw();
  }

  function act(name) {
    if (name === 'undo') undo();
    else if (name === 'apply' && parts.tools.polygonKey('close')) { /* Enter closed the open polygon */ }
    else parts.protocol.send({tool: name});
  }

  window.__segcore = {
    act,
    setTool: parts.tools.setTool, selectClass: parts.classes.select, zoomKey: parts.view.zoomKey,
    // The tools' keys as Python's table (demo/canvas.py TOOLS) wrote them on the buttons.
    toolKeys: Object.fromEntries(E.tools.map((b) => [b.dataset.key, b.dataset.tool])),
    outline: parts.settings.toggleOutline, filter: parts.classes.focusFilter, size: parts.settings.size,
    space: parts.tools.space, polygon: parts.tools.polygonKey, objectKey: parts.objects.key,
    vertexKey: parts.vertices.key,
  };
  if (window.__segcoreKeys) return {};
  window.__segcoreKeys = true;

  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    const k = e.key.toLowerCase(), s = window.__segcore;
    let done = true;
    if ((e.ctrlKey || e.metaKey) && k === 'z' && !e.shiftKey) s.act('undo');
    else if ((e.ctrlKey || e.metaKey) && (k === 'y' || (k === 'z' && e.shiftKey))) s.act('redo');
    else if (e.ctrlKey || e.metaKey || e.altKey) done = false;
    else if (e.code === 'Digit1' && e.shiftKey) s.zoomKey('1:1');
    else if (k === 'tab') done = s.objectKey('next', e.shiftKey);
    else if (k === ' ') s.space(true);
    else if (k === '+' || k === '=') s.zoomKey('in');
    else if (k === '-' || k === '_') s.zoomKey('out');
    else if (k === 'f') s.zoomKey('fit');
    else if (k === 'o') s.outline();
    else if (k === '/') s.filter();
    else if (k === 'a') s.act('prev');
    else if (k === 'd') s.act('next');
    else if (k === 'enter') s.act('apply');
    else if (k === 'backspace') done = s.polygon('back') || s.vertexKey();
    else if (k === 'escape') done = s.polygon('cancel');
    else if (k === 'r') s.act('reviewed');
    else if (k === 'm') done = s.objectKey('new');
    else if (k === 'delete') done = s.vertexKey() || s.objectKey('delete');
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
  // The buttons' clicks are taken before Gradio's own handler sees them (capture phase); their
  // Gradio events stay for the API (/next_item, ...), calling the same handlers.
  window.addEventListener('click', (e) => {
    const b = e.target && e.target.closest ? e.target.closest('button') : null;
    if (!b || !(b.id in BUTTONS) || !window.__segcore) return;
    e.stopPropagation();
    e.preventDefault();
    window.__segcore.act(BUTTONS[b.id]);
  }, true);
  return {};
})();
