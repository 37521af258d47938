// The MNIST lab: train a preset or an architecture string on MNIST or
// Fashion-MNIST (a lab run, live curves), or open a saved model; draw a
// digit and see the top 3 (framed as `predict --fit mnist`), then follow the
// forward and backward pass layer by layer; the test-set confusion matrix
// opens the images behind each cell.
"use strict";

const Mnist = (() => {
  const $ = (id) => document.getElementById(id);
  const S = { run: null, es: null, curves: null, model: "", drawing: false, last: null, dirty: false,
              busy: false, pending: false, source: null, classes: 10, confCell: null };

  // ---- training ------------------------------------------------------------------------
  function trainSettings() {
    const o = { data: $("m-data").value, train_limit: Number($("m-limit").value), epochs: Number($("m-epochs").value),
                batch_size: Number($("m-batch").value), lr: Number($("m-lr").value), momentum: Number($("m-mom").value),
                seed: Number($("m-seed").value), play: true };
    if ($("m-preset").value) o.preset = $("m-preset").value; else o.arch = $("m-arch").value.trim();
    return o;
  }
  async function train() {
    $("m-err").textContent = "";
    try {
      if (S.es) { S.es.close(); S.es = null; }
      if (S.run) await Api.del("/api/runs/" + S.run.id).catch(() => {});
      S.run = null;
      const r = await Api.post("/api/runs", trainSettings());
      S.run = { id: r.id, state: r.state };
      S.curves = { loss: [], tel: [], acc: [], seen: new Set() };
      $("m-cmd").textContent = r.command;
      S.es = Api.events(r.id, onEvent);
      await refreshModels("run:" + r.id);
    } catch (e) {
      $("m-err").textContent = (e.field ? e.field + ": " : "") + e.message;
    }
  }
  function onEvent(e) {
    if (!S.run || e.id !== S.run.id) return;
    S.run.state = e.state;
    $("m-step").textContent = e.step; $("m-total").textContent = e.total;
    $("m-sps").textContent = Math.round(e.samples_per_second).toLocaleString("en");
    $("m-state").textContent = e.state;
    const acc = e.result ? e.result.test_accuracy : e.test_accuracy;
    $("m-acc").textContent = acc === null || acc === undefined ? "-" : acc.toFixed(4);
    $("m-pause").textContent = e.state === "playing" ? "pause" : "resume";
    if (e.state === "error") $("m-err").textContent = e.message;
    if (e.eval_step >= 0 && !S.curves.seen.has(e.eval_step)) {
      S.curves.seen.add(e.eval_step);
      S.curves.loss.push([e.eval_step, e.train_loss]); S.curves.tel.push([e.eval_step, e.test_loss]);
      S.curves.acc.push([e.eval_step, e.test_accuracy]);
      Plot.lines($("m-loss"), [{ label: "train loss", points: S.curves.loss, color: "#1c6fb7" },
                               { label: "test loss", points: S.curves.tel, color: "#e8871e", dash: true }],
                 { title: "loss", ymin: 0, xlabel: "steps" });
      Plot.lines($("m-accc"), [{ label: "test accuracy (first 1000)", points: S.curves.acc, color: "#e8871e" }],
                 { title: "accuracy", xlabel: "steps" });
    }
    if ((e.kind === "finished" || e.kind === "progress") && S.model === "run:" + S.run.id && S.source) schedulePredict(true);
  }
  async function refreshModels(select) {
    const { models } = await Api.get("/api/models");
    const sel = $("m-model");
    const keep = select || sel.value;
    sel.innerHTML = "";
    for (const m of models) {
      if (!m.input || m.input.length !== 3) continue;
      sel.add(new Option(`${m.label}${m.data ? " (" + m.data + ")" : ""}`, m.id));
    }
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
    S.model = sel.value;
  }

  // ---- drawing -------------------------------------------------------------------------
  function clearCanvas() {
    const g = $("m-draw").getContext("2d");
    g.fillStyle = "#000"; g.fillRect(0, 0, 280, 280);
    S.source = null;
    $("m-top").innerHTML = ""; $("m-layers").innerHTML = "";
    $("m-framed").getContext("2d").clearRect(0, 0, 84, 84);
  }
  function stroke(ev) {
    const c = $("m-draw"), r = c.getBoundingClientRect();
    const p = [(ev.clientX - r.left) * 280 / r.width, (ev.clientY - r.top) * 280 / r.height];
    const g = c.getContext("2d");
    g.strokeStyle = "#fff"; g.fillStyle = "#fff"; g.lineWidth = 18; g.lineCap = "round"; g.lineJoin = "round";
    g.beginPath();
    if (S.last) { g.moveTo(S.last[0], S.last[1]); g.lineTo(p[0], p[1]); g.stroke(); }
    else { g.arc(p[0], p[1], 9, 0, 2 * Math.PI); g.fill(); }
    S.last = p;
    S.source = { kind: "canvas" };
  }
  function canvasImage() {
    const n = 112, tmp = document.createElement("canvas");
    tmp.width = n; tmp.height = n;
    const g = tmp.getContext("2d");
    g.drawImage($("m-draw"), 0, 0, n, n);
    const d = g.getImageData(0, 0, n, n).data, px = new Array(n * n);
    for (let i = 0; i < n * n; i++) px[i] = Math.round(d[4 * i] / 255 * 1000) / 1000;
    return { width: n, height: n, pixels: px };
  }
  function schedulePredict(layers) {
    if (S.busy) { S.pending = S.pending || layers || "top"; return; }
    predict(layers);
  }
  async function predict(layers) {
    if (!S.source || !S.model) return;
    S.busy = true;
    const body = { model: S.model, layers: !!layers, target: Number($("m-target").value) };
    if (S.source.kind === "canvas") { body.image = canvasImage(); body.fit = "auto"; }
    else body.values = S.source.values;
    try {
      const p = await Api.post("/api/predict", body);
      showTop(p);
      if (p.framed) showFramed(p.framed.pixels);
      if (layers) showLayers(p);
    } catch (e) { setStatus(e.message, true); }
    S.busy = false;
    if (S.pending) { const l = S.pending === true; S.pending = false; predict(l); }
  }
  function showTop(p) {
    const ol = $("m-top");
    ol.innerHTML = "";
    for (const t of p.top) {
      const li = document.createElement("li"), b = document.createElement("b"), bar = document.createElement("span");
      b.textContent = t.class;
      bar.className = "barf";
      bar.style.width = Math.round(t.probability * 120) + "px";  // CSSOM: allowed by the page's CSP
      li.append(b, ` ${(t.probability * 100).toFixed(1)}%`, bar);
      ol.appendChild(li);
    }
    ol.dataset.prediction = p.prediction;
  }
  function showFramed(px) {
    const g = $("m-framed").getContext("2d"), img = g.createImageData(28, 28);
    for (let i = 0; i < 784; i++) { const v = Math.round(px[i] * 255); img.data.set([v, v, v, 255], 4 * i); }
    const tmp = document.createElement("canvas");
    tmp.width = 28; tmp.height = 28;
    tmp.getContext("2d").putImageData(img, 0, 0);
    g.imageSmoothingEnabled = false;
    g.drawImage(tmp, 0, 0, 84, 84);
  }

  // ---- inside the network ------------------------------------------------------------------
  function eqText(l) {
    const parts = [];
    if (l.eq_forward) parts.push(`forward: eq. ${l.eq_forward}`);
    if (l.eq_grad) parts.push(`dL/d(output): eq. ${l.eq_grad}`);
    for (const p of l.params) if (p.eq_grad) parts.push(`dL/d(${p.name}): eq. ${p.eq_grad}`);
    return parts.join(" \u00b7 ");
  }
  // A tensor as images: (C, H, W) -> C maps; (O, C, k, k) -> O*C kernels; (O, I) -> one image; (F) -> a strip.
  function tensorMaps(label, t, mode) {
    const box = document.createElement("div");
    box.className = "maps";
    const lbl = document.createElement("div");
    lbl.className = "lbl";
    lbl.textContent = `${label} ${t.dims.join("\u00d7")}  [${t.min.toPrecision(3)}, ${t.max.toPrecision(3)}]`;
    box.appendChild(lbl);
    const d = t.dims;
    if (d.length === 3 || d.length === 4) {
      const h = d[d.length - 2], w = d[d.length - 1], count = d.length === 3 ? d[0] : d[0] * d[1];
      const zoom = Math.max(1, Math.min(8, Math.floor(56 / Math.max(h, w))));
      for (let c = 0; c < Math.min(count, 128); c++) box.appendChild(Plot.tensorCanvas(t, c * h * w, h, w, zoom, mode));
    } else if (d.length === 2) {
      const zoom = Math.max(1, Math.min(6, Math.floor(400 / d[1])));
      box.appendChild(Plot.tensorCanvas(t, 0, d[0], d[1], zoom, mode));
    } else {
      const f = d[0], cols = Math.min(f, 64), rows = Math.ceil(f / cols);
      const padded = { min: t.min, max: t.max, q: t.q.concat(new Array(rows * cols - f).fill(Math.round(255 * (0 - t.min) / ((t.max - t.min) || 1)))) };
      box.appendChild(Plot.tensorCanvas(padded, 0, rows, cols, Math.max(3, Math.min(14, Math.floor(320 / cols))), mode));
    }
    return box;
  }
  function showLayers(p) {
    const root = $("m-layers");
    root.innerHTML = "";
    $("m-loss-line").textContent = `target ${p.target}: L = ${p.loss.toFixed(4)}` + (p.eq_loss ? ` (eq. ${p.eq_loss}; dL/d(logits) = softmax \u2212 onehot, eq. 14 corrected)` : "");
    const inp = document.createElement("div");
    inp.className = "layer";
    inp.innerHTML = "<h3>input (what the model sees)</h3>";
    inp.appendChild(tensorMaps("x", p.input, "gray"));
    inp.appendChild(tensorMaps("dL/dx", p.input_grad, "signed"));
    root.appendChild(inp);
    for (const l of p.layers) {
      const div = document.createElement("div");
      div.className = "layer";
      div.dataset.index = l.index;
      div.innerHTML = `<h3>${l.index} ${l.spec}<span class="eq">${eqText(l)}</span></h3>`;
      div.appendChild(tensorMaps("output", l.activation, "signed"));
      div.appendChild(tensorMaps("dL/d(output)", l.grad, "signed"));
      for (const prm of l.params) {
        div.appendChild(tensorMaps(prm.name, prm.value, "signed"));
        div.appendChild(tensorMaps("dL/d(" + prm.name + ")", prm.grad, "signed"));
      }
      root.appendChild(div);
    }
  }

  // ---- confusion matrix --------------------------------------------------------------------
  async function confusion() {
    try {
      setStatus("evaluating on the test set...");
      const c = await Api.post("/api/confusion", { model: S.model });
      setStatus(`test accuracy ${c.accuracy.toFixed(4)} on ${c.n} images`);
      const t = document.createElement("table");
      let max = 1;
      for (let i = 0; i < c.classes; i++) for (let j = 0; j < c.classes; j++) if (i !== j) max = Math.max(max, c.matrix[i][j]);
      const head = t.insertRow();
      head.insertCell().outerHTML = "<th>t\\p</th>";
      for (let j = 0; j < c.classes; j++) head.insertCell().outerHTML = `<th>${j}</th>`;
      for (let i = 0; i < c.classes; i++) {
        const row = t.insertRow();
        row.insertCell().outerHTML = `<th>${i}</th>`;
        for (let j = 0; j < c.classes; j++) {
          const cell = row.insertCell(), v = c.matrix[i][j];
          cell.textContent = v;
          if (i === j) cell.style.background = "#dfe8f3";
          else if (v > 0) {
            cell.style.background = `rgba(214,39,40,${0.1 + 0.7 * v / max})`;
            cell.className = "off";
            cell.onclick = () => openCell(c, i, j, cell);
          }
        }
      }
      $("m-conf").innerHTML = "";
      $("m-conf").appendChild(t);
      $("m-conf").dataset.data = c.data;
    } catch (e) { setStatus(e.message, true); }
  }
  async function openCell(c, i, j, cell) {
    for (const td of $("m-conf").querySelectorAll("td.sel")) td.classList.remove("sel");
    cell.classList.add("sel");
    const idx = (c.samples[`${i},${j}`] || []).slice(0, 40);
    const { images } = await Api.get(`/api/testimages?data=${c.data}&index=${idx.join(",")}`);
    const box = $("m-wrong");
    box.innerHTML = `<div class="hint">true ${i}, predicted ${j}: ${idx.length} shown (click one to look inside)</div>`;
    for (const im of images) {
      const cv = Plot.tensorCanvas({ min: 0, max: 255, q: im.pixels }, 0, 28, 28, 2, "gray");
      cv.title = `test image ${im.index}, label ${im.label}`;
      cv.onclick = () => showTestImage(im);
      box.appendChild(cv);
    }
  }
  function showTestImage(im) {
    const g = $("m-draw").getContext("2d");
    const cv = Plot.tensorCanvas({ min: 0, max: 255, q: im.pixels }, 0, 28, 28, 10, "gray");
    g.drawImage(cv, 0, 0);
    S.source = { kind: "values", values: im.pixels.map((v) => v / 255) };
    showFramed(S.source.values);
    schedulePredict(true);
  }

  function bind() {
    const c = $("m-draw");
    clearCanvas();
    c.addEventListener("pointerdown", (e) => {
      if (S.source && S.source.kind === "values") clearCanvas();
      S.drawing = true; S.last = null; c.setPointerCapture(e.pointerId); stroke(e); schedulePredict(false);
    });
    c.addEventListener("pointermove", (e) => { if (S.drawing) { stroke(e); schedulePredict(false); } });
    const end = () => { if (S.drawing) { S.drawing = false; S.last = null; schedulePredict(true); } };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    $("m-clear").onclick = clearCanvas;
    $("m-train").onclick = train;
    $("m-pause").onclick = () => {
      if (!S.run) return;
      Api.post(`/api/runs/${S.run.id}/control`, { action: S.run.state === "playing" ? "pause" : "play" }).catch((e) => setStatus(e.message, true));
    };
    $("m-model").onchange = () => { S.model = $("m-model").value; schedulePredict(true); };
    $("m-target").onchange = () => schedulePredict(true);
    for (let k = 0; k < 10; k++) $("m-target").add(new Option(String(k), String(k)));
    $("m-confusion").onclick = confusion;
    $("m-open").onclick = async () => {
      try {
        const r = await Api.post("/api/models", { path: $("m-open-path").value.trim() });
        await refreshModels(r.id);
        schedulePredict(true);
      } catch (e) { setStatus(e.message, true); }
    };
    $("m-preset").onchange = () => { $("m-arch").disabled = !!$("m-preset").value; };
    $("m-arch").disabled = true;
    window.addEventListener("pagehide", () => { if (S.run) Api.forget(S.run.id); });
  }

  async function init() {
    bind();
    await refreshModels();
  }
  return { init, state: S, refreshModels };
})();
