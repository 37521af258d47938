// Drawing helpers shared by both tabs: class colours, value colour maps,
// images from quantized tensors, and small line charts.
"use strict";

const Plot = (() => {
  const CLASS = [[232, 135, 30], [28, 111, 183], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                 [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
  const classColor = (k) => CLASS[k % CLASS.length];
  const css = (c, a) => a === undefined ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${a})`;

  // A quantized tensor {min, max, q: 0..255} -> value at i.
  const value = (t, i) => t.min + (t.max - t.min) * t.q[i] / 255;

  // Diverging: blue (negative) - white (0) - red (positive), scaled by max |v|.
  function diverging(v, scale) {
    const t = Math.max(-1, Math.min(1, scale > 0 ? v / scale : 0));
    if (t >= 0) return [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))];
    return [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
  }

  // Paints an h x w block of tensor t starting at `offset` into a new canvas,
  // `zoom` pixels per value. mode: "gray" (min..max) or "signed" (diverging around 0).
  function tensorCanvas(t, offset, h, w, zoom, mode) {
    const c = document.createElement("canvas");
    c.width = w * zoom; c.height = h * zoom;
    const g = c.getContext("2d");
    const img = g.createImageData(w, h);
    const scale = Math.max(Math.abs(t.min), Math.abs(t.max));
    for (let i = 0; i < h * w; i++) {
      const v = value(t, offset + i);
      let rgb;
      if (mode === "signed") rgb = diverging(v, scale);
      else { const g8 = t.max > t.min ? Math.round(255 * (v - t.min) / (t.max - t.min)) : 0; rgb = [g8, g8, g8]; }
      img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
    }
    const tmp = document.createElement("canvas");
    tmp.width = w; tmp.height = h;
    tmp.getContext("2d").putImageData(img, 0, 0);
    g.imageSmoothingEnabled = false;
    g.drawImage(tmp, 0, 0, w * zoom, h * zoom);
    c.title = `min ${t.min.toPrecision(3)}, max ${t.max.toPrecision(3)}`;
    return c;
  }

  // series: [{points: [[x, y]...], color, dash}], drawn on a shared scale.
  function lines(canvas, series, opts) {
    const g = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height, L = 38, R = 8, T = 14, B = 18;
    g.clearRect(0, 0, W, H);
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    let x0 = Infinity, x1 = -Infinity, y0 = opts.ymin !== undefined ? opts.ymin : Infinity, y1 = opts.ymax !== undefined ? opts.ymax : -Infinity;
    for (const s of series) for (const [x, y] of s.points) {
      if (!isFinite(y)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      if (opts.ymin === undefined) y0 = Math.min(y0, y);
      if (opts.ymax === undefined) y1 = Math.max(y1, y);
    }
    g.fillStyle = "#556"; g.font = "11px system-ui";
    g.fillText(opts.title || "", L, 11);
    if (!(x1 >= x0) || !(y1 >= y0)) return;
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) y1 = y0 + 1;
    const px = (x) => L + (W - L - R) * (x - x0) / (x1 - x0), py = (y) => H - B - (H - T - B) * (y - y0) / (y1 - y0);
    g.strokeStyle = "#ccd"; g.lineWidth = 1;
    g.strokeRect(L, T, W - L - R, H - T - B);
    g.fillText(y1.toPrecision(3), 2, T + 8); g.fillText(y0.toPrecision(3), 2, H - B);
    g.fillText(String(Math.round(x0)), L, H - 4);
    const last = String(Math.round(x1)) + (opts.xlabel ? " " + opts.xlabel : "");
    g.fillText(last, W - R - g.measureText(last).width, H - 4);
    let lx = L + 120;
    for (const s of series) {
      g.strokeStyle = s.color; g.lineWidth = 1.6; g.setLineDash(s.dash ? [4, 3] : []);
      g.beginPath();
      let started = false;
      for (const [x, y] of s.points) {
        if (!isFinite(y)) continue;
        if (!started) { g.moveTo(px(x), py(y)); started = true; } else g.lineTo(px(x), py(y));
      }
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = s.color; g.fillText(s.label, lx, 11); lx += g.measureText(s.label).width + 14;
    }
  }

  return { classColor, css, value, diverging, tensorCanvas, lines };
})();
