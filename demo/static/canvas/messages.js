// Messages (Gradio's toasts) sit at the bottom left, under the file list and the model,
// covering no tool, and close by themselves: an info after 5 s, a warning after 8 s (counted
// again when its text changes), and all of them on the next item. Watched, not polled: a
// toast gets its own timeout when it appears. Installed once per page.
parts.messages = (() => {
  if (window.__segcoreMessages) return {};
  const style = document.createElement('style');
  style.textContent = '.toast-wrap { top: auto !important; bottom: 6px !important; left: 6px !important; ' +
    'right: auto !important; width: 310px !important; align-items: stretch !important; } ' +
    '.toast-wrap .toast-message-text { max-height: 6em; overflow-y: auto; font-size: 13px; }';
  document.head.appendChild(style);
  const seen = new WeakMap();      // toast -> {t: when it appeared or changed, text, timer}
  const close = (t) => { const b = t.querySelector('.toast-close'); if (b) b.click(); };
  const life = (t) => /warning|error/i.test(t.className + ' ' + (t.querySelector('.toast-title')?.textContent || '')) ? 8000 : 5000;

  function scan() {
    document.querySelectorAll('.toast-wrap .toast-body').forEach((t) => {
      const s = seen.get(t), text = t.textContent;
      if (s && s.text === text) return;
      if (s) clearTimeout(s.timer);
      seen.set(t, {t: performance.now(), text, timer: setTimeout(() => close(t), life(t))});
    });
  }
  new MutationObserver((records) => {
    if (records.some((r) => (r.target.closest ? r.target : r.target.parentElement)?.closest?.('.toast-wrap') ||
                            [...r.addedNodes].some((n) => n.nodeType === 1 && (n.matches('.toast-wrap, .toast-body') || n.querySelector?.('.toast-body')))))
      scan();
  }).observe(document.body, {childList: true, subtree: true, characterData: true});

  // On the next item, only those older than a second: a message of the move itself stays.
  window.__segcoreMessages = {closeAll: () => document.querySelectorAll('.toast-wrap .toast-body').forEach((t) => {
    const s = seen.get(t);
    if (s && performance.now() - s.t > 1000) close(t);
  })};
  return {};
})();
