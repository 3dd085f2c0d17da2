// The pictures over the photo (the mask, the object boundaries): canvases the size of the
// picture, stretched over the photo. A value brings a picture whole (a PNG data URL, decoded
// asynchronously) or, where the page shows the previous one, the box of pixels that changed as
// runs of palette indices (demo/layers.py), drawn at once. Drawings keep the order the values
// came in; `ready` is when all drawings asked so far are done.
parts.layers = (() => {
  const el = {mask: E.mask, edges: E.edges};
  const queue = {mask: Promise.resolve(), edges: Promise.resolve()};
  const waiting = {mask: 0, edges: 0};                   // whole pictures still decoding
  // For benchmarks: data-drawn / data-edges-drawn, when the mask / the boundaries were drawn on
  // their canvas; data-painted, when the frame that shows the mask began.
  const DRAWN = {mask: 'drawn', edges: 'edgesDrawn'};
  function drawn(name) {
    E.root.dataset[DRAWN[name]] = String(performance.now());
    if (name === 'mask') requestAnimationFrame(() => { E.root.dataset.painted = String(performance.now()); });
  }

  function whole(name, url) {
    const c = el[name];
    let pic = Promise.resolve(null);
    if (url) {                                            // decoding starts now, drawing in turn
      const img = new Image();
      img.src = url;
      pic = img.decode().then(() => img, () => null);     // one that fails to decode: none
    }
    waiting[name] += 1;
    queue[name] = queue[name].then(() => pic).then((img) => {
      if (img) {
        if (c.width !== img.naturalWidth || c.height !== img.naturalHeight) {
          c.width = img.naturalWidth; c.height = img.naturalHeight;
        } else c.getContext('2d').clearRect(0, 0, c.width, c.height);
        c.getContext('2d').drawImage(img, 0, 0);
      } else { c.width = 0; c.height = 0; }
      drawn(name);
    }).catch(() => {}).finally(() => { waiting[name] -= 1; });
  }

  // {x, y, w, h, runs: [value, length, ...], colours: {value: [r, g, b, a]}}
  function paint(name, p) {
    const g = el[name].getContext('2d'), img = g.createImageData(p.w, p.h);
    const px = new Uint32Array(img.data.buffer), rgba = {};
    for (const [k, [r, gr, b, a]] of Object.entries(p.colours)) {
      const one = new Uint8ClampedArray([r, gr, b, a]);
      rgba[k] = new Uint32Array(one.buffer)[0];           // the bytes in the page's order
    }
    for (let i = 0, at = 0; i < p.runs.length; i += 2) {
      px.fill(rgba[p.runs[i]], at, at + p.runs[i + 1]);
      at += p.runs[i + 1];
    }
    g.putImageData(img, p.x, p.y);
    drawn(name);
  }

  function patch(name, p) {
    if (waiting[name]) queue[name] = queue[name].then(() => paint(name, p)).catch(() => {});
    else paint(name, p);
  }

  const ready = () => Promise.all(Object.values(queue));

  return {whole, patch, ready};
})();
