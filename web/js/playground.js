// The 2-D playground: data, network and training settings -> one lab run
// (POST /api/runs), trained by handgrad's own loop on the server; the page
// draws what the run publishes: the heat map, every unit's thumbnail, the
// weights as lines, the loss and accuracy curves.
"use strict";

const Playground = (() => {
  const $ = (id) => document.getElementById(id);
  const SEED_2D = [8, 16, 32, 16, 8];
  const DEFAULTS = {
    data: "moons", n: 1000, noise: null, test_fraction: 0.2, data_seed: 0,
    hidden: SEED_2D.slice(), act: "relu", arch: "", lr: 0.1, momentum: 0.9, batch_size: 16,
    weight_decay: 0, clip_grad_norm: 0.5, init: "he", standardize: true, epochs: 100, seed: 0,
    pace: 250, optimizer: "sgd",
  };
  const S = { setup: { ...DEFAULTS, hidden: SEED_2D.slice() }, edits: { added: [], removed: new Set() },
              base: null, classes: 2, run: null, es: null, curves: null, view: null, viewBusy: false,
              needView: false, views: 0, structure: "", wantPlay: false, rebuildTimer: 0, generation: 0 };

  // ---- the setup <-> the URL hash ------------------------------------------------
  const KEYS = { data: "data", n: "n", noise: "noise", test_fraction: "tf", data_seed: "ds", act: "act",
                 arch: "arch", lr: "lr", momentum: "mom", batch_size: "bs", weight_decay: "wd",
                 clip_grad_norm: "clip", init: "init", epochs: "ep", seed: "seed", pace: "pace",
                 optimizer: "opt" };
  function toHash() {
    if (document.getElementById("page-play").hidden) return;
    const q = new URLSearchParams();
    q.set("tab", "play");
    for (const [k, h] of Object.entries(KEYS)) {
      const v = S.setup[k];
      if (v !== null && v !== "" && v !== undefined) q.set(h, String(v));
    }
    q.set("h", S.setup.hidden.join("-"));
    q.set("std", S.setup.standardize ? "1" : "0");
    const e = encodeEdits();
    if (e) q.set("pts", e);
    history.replaceState(null, "", location.pathname + location.search + "#" + q.toString());
  }
  function fromHash() {
    const q = new URLSearchParams(location.hash.slice(1));
    const num = (v) => (v === null || v === "" ? null : Number(v));
    for (const [k, h] of Object.entries(KEYS)) {
      if (!q.has(h)) continue;
      const v = q.get(h);
      S.setup[k] = typeof DEFAULTS[k] === "number" || k === "noise" ? num(v) : v;
    }
    if (q.has("h")) S.setup.hidden = q.get("h") === "" ? [] : q.get("h").split("-").map(Number).filter((x) => x > 0);
    if (q.has("std")) S.setup.standardize = q.get("std") === "1";
    if (q.has("pts")) decodeEdits(q.get("pts"));
  }
  function encodeEdits() {
    const a = S.edits.added.map((p) => `${p[0].toFixed(3)},${p[1].toFixed(3)},${p[2]}`).join(";");
    const r = [...S.edits.removed].join(",");
    return a || r ? `a:${a}|r:${r}` : "";
  }
  function decodeEdits(s) {
    const [a, r] = s.split("|");
    S.edits.added = (a || "").slice(2).split(";").filter(Boolean).map((t) => t.split(",").map(Number));
    S.edits.removed = new Set((r || "").slice(2).split(",").filter(Boolean));
  }

  // ---- data -------------------------------------------------------------------------
  async function loadBase() {
    const s = S.setup;
    const q = `data=${s.data}&n=${s.n}&data_seed=${s.data_seed}&test_fraction=${s.test_fraction}` +
              (s.noise !== null ? `&noise=${s.noise}` : "");
    S.base = await Api.get("/api/data?" + q);
    if (s.noise === null) { $("p-noise").value = S.base.noise; $("p-noise-v").textContent = S.base.noise; }
  }
  function points() {
    if (!S.base) return { train: [], test: [] };
    const keep = (set, tag) => set.filter((_, i) => !S.edits.removed.has(tag + i));
    return { train: keep(S.base.train, "t").concat(S.edits.added), test: keep(S.base.test, "s") };
  }
  const edited = () => S.edits.added.length > 0 || S.edits.removed.size > 0;
  function classesOf(pts) {
    let k = 2;
    for (const p of pts.train.concat(pts.test)) k = Math.max(k, p[2] + 1);
    return k;
  }
  // The data window, as the server's boundary_window() frames boundary.png.
  function windowOf(pts) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const p of pts.train.concat(pts.test)) {
      x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    }
    if (!isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
    const longest = Math.max(x1 - x0, y1 - y0, 1e-6) * 1.16;
    const sx = Math.max((x1 - x0) * 1.16, 0.6 * longest), sy = Math.max((y1 - y0) * 1.16, 0.6 * longest);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    return { x0: cx - sx / 2, x1: cx + sx / 2, y0: cy - sy / 2, y1: cy + sy / 2 };
  }

  // ---- the run ------------------------------------------------------------------------
  function archString() {
    const s = S.setup;
    if (s.arch) return s.arch;
    return s.hidden.map((w) => `linear(${w}) ${s.act}`).concat([`linear(${S.classes})`]).join(" ");
  }
  function settings() {
    const s = S.setup, pts = points();
    S.classes = classesOf(pts);
    const o = { epochs: s.epochs, batch_size: s.batch_size, lr: s.lr, momentum: s.momentum,
                weight_decay: s.weight_decay, clip_grad_norm: s.clip_grad_norm, init: s.init,
                standardize: s.standardize, seed: s.seed, threads: 1, pace: s.pace,
                optimizer: s.optimizer };
    // Momentum is a setting of sgd and rmsprop only (the server refuses it elsewhere).
    if (s.optimizer !== "sgd" && s.optimizer !== "rmsprop") delete o.momentum;
    const isSeed = !s.arch && s.act === "relu" && S.classes === 2 && s.hidden.join() === SEED_2D.join();
    if (isSeed) o.preset = "seed-2d"; else o.arch = archString();
    if (edited()) {
      o.points = pts;
    } else {
      Object.assign(o, { data: s.data, n: s.n, data_seed: s.data_seed, test_fraction: s.test_fraction });
      if (s.noise !== null) o.noise = s.noise;
    }
    return o;
  }
  function scheduleRebuild(reloadData) {
    toHash();
    syncControls();
    clearTimeout(S.rebuildTimer);
    S.rebuildTimer = setTimeout(() => rebuild(reloadData), 200);
  }
  async function rebuild(reloadData) {
    const gen = ++S.generation;
    try {
      if (reloadData || !S.base) await loadBase();
      drawMap();
      const old = S.run;
      S.run = null;
      if (S.es) { S.es.close(); S.es = null; }
      if (old) await Api.del("/api/runs/" + old.id).catch(() => {});
      if (gen !== S.generation) return;
      const r = await Api.post("/api/runs", settings());
      if (gen !== S.generation) { Api.del("/api/runs/" + r.id).catch(() => {}); return; }
      S.run = { id: r.id, state: r.state, step: 0, total: 0 };
      S.curves = { trl: [], tel: [], tra: [], tea: [], seen: new Set() };
      S.needView = true;
      $("p-arch-err").textContent = "";
      $("p-cmd").textContent = r.command;
      $("p-dl-model").href = Api.url(`/api/runs/${r.id}/model.safetensors`);
      $("p-dl-png").href = Api.url(`/api/runs/${r.id}/boundary.png`);
      S.es = Api.events(r.id, onEvent);
      if (S.wantPlay) await control("play");
      setStatus("run " + r.id);
    } catch (e) {
      $("p-arch-err").textContent = (e.field ? e.field + ": " : "") + e.message;
      setStatus(e.message, true);
    }
  }
  async function control(action, extra) {
    if (!S.run) return;
    try {
      await Api.post(`/api/runs/${S.run.id}/control`, { action, pace: S.setup.pace, ...(extra || {}) });
    } catch (e) { setStatus(e.message, true); }
  }
  function onEvent(e) {
    if (!S.run || e.id !== S.run.id) return;
    if (e.kind === "reset") S.curves = { trl: [], tel: [], tra: [], tea: [], seen: new Set() };
    S.run.state = e.state; S.run.step = e.step; S.run.total = e.total;
    $("p-state").textContent = e.state;
    $("p-stepno").textContent = e.step;
    $("p-total").textContent = e.total;
    $("p-epoch").textContent = e.epoch.toFixed(2);
    $("p-sps").textContent = Math.round(e.samples_per_second).toLocaleString("en");
    const fmt = (v) => (v === null ? "-" : v.toFixed(4));
    $("p-trloss").textContent = fmt(e.train_loss); $("p-teloss").textContent = fmt(e.test_loss);
    $("p-tracc").textContent = fmt(e.train_accuracy); $("p-teacc").textContent = fmt(e.test_accuracy);
    $("p-play").innerHTML = e.state === "playing" ? "pause" : "&#x25B6; play";
    if (e.eval_step >= 0 && !S.curves.seen.has(e.eval_step)) {
      S.curves.seen.add(e.eval_step);
      S.curves.trl.push([e.eval_step, e.train_loss]); S.curves.tel.push([e.eval_step, e.test_loss]);
      S.curves.tra.push([e.eval_step, e.train_accuracy]); S.curves.tea.push([e.eval_step, e.test_accuracy]);
      drawCurves();
    }
    if (e.state === "error") $("p-arch-err").textContent = e.message || "error";
    S.needView = true;
  }

  // ---- drawing ------------------------------------------------------------------------
  function mapGeometry(w) {
    const c = $("p-map"), M = 440, ax = w.x1 - w.x0, ay = w.y1 - w.y0;
    const cw = ax >= ay ? M : Math.round(M * ax / ay), ch = ay >= ax ? M : Math.round(M * ay / ax);
    if (c.width !== cw || c.height !== ch) { c.width = cw; c.height = ch; }
    return { c, cw, ch, px: (x) => (x - w.x0) / ax * cw, py: (y) => (w.y1 - y) / ay * ch,
             dx: (px) => w.x0 + px / cw * ax, dy: (py) => w.y1 - py / ch * ay };
  }
  function drawMap() {
    const pts = points();
    const w = S.view ? S.view : windowOf(pts);
    const G = mapGeometry(w), g = G.c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, G.cw, G.ch);
    if (S.view) paintProbs(g, S.view, G);
    for (const [set, test] of [[pts.train, false], [pts.test, true]]) {
      for (const p of set) {
        g.beginPath(); g.arc(G.px(p[0]), G.py(p[1]), test ? 3.6 : 3.2, 0, 2 * Math.PI);
        g.fillStyle = Plot.css(Plot.classColor(p[2])); g.fill();
        g.lineWidth = test ? 1.6 : 0.8; g.strokeStyle = test ? "#000" : "#fff"; g.stroke();
      }
    }
  }
  function paintProbs(g, v, G) {
    const n = v.res, K = v.classes, img = new ImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      let k = 0;
      for (let j = 1; j < K; j++) if (v.probs[i * K + j] > v.probs[i * K + k]) k = j;
      const conf = (v.probs[i * K + k] - 1 / K) / (1 - 1 / K), a = 0.12 + 0.6 * conf, c = Plot.classColor(k);
      img.data.set([255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a, 255], 4 * i);
    }
    const tmp = document.createElement("canvas");
    tmp.width = n; tmp.height = n;
    tmp.getContext("2d").putImageData(img, 0, 0);
    g.imageSmoothingEnabled = true;
    g.drawImage(tmp, 0, 0, G.cw, G.ch);
  }
  function drawCurves() {
    const c = S.curves;
    Plot.lines($("p-loss"), [{ label: "train loss", points: c.trl, color: "#1c6fb7" },
                             { label: "test loss", points: c.tel, color: "#e8871e", dash: true }],
               { title: "loss", ymin: 0, xlabel: "steps" });
    Plot.lines($("p-acc"), [{ label: "train accuracy", points: c.tra, color: "#1c6fb7" },
                            { label: "test accuracy", points: c.tea, color: "#e8871e", dash: true }],
               { title: "accuracy", ymin: 0, ymax: 1, xlabel: "steps" });
  }
  function unitColor(t, i, isOutput, k) {
    const v = Plot.value(t, i);
    if (isOutput) { const c = Plot.classColor(k), a = v; return [255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a]; }
    const s = Math.max(Math.abs(t.min), Math.abs(t.max)) || 1, a = Math.min(1, Math.abs(v) / s);
    const c = v >= 0 ? [28, 111, 183] : [232, 135, 30];
    return [255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a];
  }
  function buildColumns(v) {
    const cols = $("p-columns");
    cols.innerHTML = "";
    const maxUnits = Math.max(...v.columns.map((c) => c.units.length));
    const size = Math.max(8, Math.min(30, Math.floor(500 / maxUnits) - 4));
    v.columns.forEach((col, ci) => {
      const d = document.createElement("div");
      d.className = "column";
      const head = document.createElement("div");
      head.className = "head";
      const hidden = ci > 0 && ci < v.columns.length - 1;
      head.innerHTML = ci === 0 ? "input<br>x1, x2" : hidden ? `${col.label}<br>` : "output<br>softmax";
      if (hidden && !S.setup.arch) {
        for (const [txt, dw] of [["\u2212", -1], ["+", 1]]) {
          const b = document.createElement("button");
          b.textContent = txt;
          b.onclick = () => { const h = S.setup.hidden; h[ci - 1] = Math.max(1, Math.min(64, h[ci - 1] + dw)); scheduleRebuild(false); };
          head.appendChild(b);
        }
        head.appendChild(document.createTextNode(" " + col.units.length));
      }
      d.appendChild(head);
      col.units.forEach((u) => {
        const box = document.createElement("div");
        box.className = "unit";
        const c = document.createElement("canvas");
        c.width = u.dims[1]; c.height = u.dims[0];
        c.style.width = size + "px"; c.style.height = size + "px";
        box.appendChild(c);
        d.appendChild(box);
      });
      cols.appendChild(d);
    });
  }
  function drawView(v) {
    const t0 = performance.now();
    S.view = v;
    S.views += 1;
    const structure = v.columns.map((c) => c.units.length).join("-") + (S.setup.arch ? "c" : "");
    if (structure !== S.structure) { buildColumns(v); S.structure = structure; }
    const colDivs = $("p-columns").children;
    v.columns.forEach((col, ci) => {
      const boxes = colDivs[ci].querySelectorAll(".unit");
      const isOut = ci === v.columns.length - 1;
      col.units.forEach((u, k) => {
        const c = boxes[k].firstChild, g = c.getContext("2d"), n = u.dims[0] * u.dims[1];
        const img = g.createImageData(u.dims[1], u.dims[0]);
        for (let i = 0; i < n; i++) { const rgb = unitColor(u, i, isOut, k); img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i); }
        g.putImageData(img, 0, 0);
        boxes[k].classList.toggle("dead", !!u.dead);
        boxes[k].title = u.dead ? "dead ReLU unit: never active on the training points" : `min ${u.min.toPrecision(3)}, max ${u.max.toPrecision(3)}`;
      });
    });
    const t1 = performance.now();
    drawWires(v);
    const t2 = performance.now();
    drawMap();
    S.timing = [t1 - t0, t2 - t1, performance.now() - t2];
  }
  function drawWires(v) {
    const net = $("p-net"), wires = $("p-wires"), box = net.getBoundingClientRect();
    wires.width = box.width; wires.height = box.height;
    const g = wires.getContext("2d");
    g.clearRect(0, 0, wires.width, wires.height);
    const centres = [...$("p-columns").children].map((col) => [...col.querySelectorAll(".unit")].map((u) => {
      const r = u.getBoundingClientRect();
      return [r.left - box.left, r.right - box.left, (r.top + r.bottom) / 2 - box.top];
    }));
    v.weights.forEach((w, j) => {
      const from = centres[j], to = centres[j + 1];
      if (!from || !to) return;
      let max = 1e-9;
      for (const x of w.w) max = Math.max(max, Math.abs(x));
      for (let o = 0; o < w.out && o < to.length; o++) {
        for (let i = 0; i < w.in && i < from.length; i++) {
          const x = w.w[o * w.in + i];
          g.strokeStyle = x >= 0 ? "rgba(28,111,183,0.45)" : "rgba(232,135,30,0.45)";
          g.lineWidth = Math.max(0.1, 3 * Math.abs(x) / max);
          g.beginPath(); g.moveTo(from[i][1], from[i][2]); g.lineTo(to[o][0], to[o][2]); g.stroke();
        }
      }
    });
  }
  async function viewTick() {
    if (!S.run || S.viewBusy || !S.needView || S.run.state === "loading") return;
    if (document.getElementById("page-play").hidden) return;
    S.viewBusy = true;
    S.needView = S.run.state === "playing";
    try {
      drawView(await Api.get(`/api/runs/${S.run.id}/view?res=64&units=16`));
    } catch (e) {
      if (e.status !== 409 && e.status !== 404) setStatus(e.message, true);
      S.needView = true;
    } finally { S.viewBusy = false; }
  }

  // ---- controls -----------------------------------------------------------------------
  function syncControls() {
    const s = S.setup;
    for (const b of $("p-gens").children) b.classList.toggle("active", b.dataset.gen === s.data && !edited());
    if (s.noise !== null) { $("p-noise").value = s.noise; $("p-noise-v").textContent = s.noise; }
    $("p-n").value = s.n; $("p-n-v").textContent = s.n;
    $("p-testfrac").value = s.test_fraction; $("p-testfrac-v").textContent = s.test_fraction;
    $("p-dataseed").value = s.data_seed;
    $("p-lr").value = s.lr; $("p-mom").value = s.momentum; $("p-batch").value = s.batch_size;
    $("p-wd").value = s.weight_decay; $("p-clip").value = s.clip_grad_norm; $("p-init").value = s.init;
    $("p-std").checked = s.standardize; $("p-epochs").value = s.epochs; $("p-seed").value = s.seed;
    $("p-act").value = s.act; $("p-pace").value = String(s.pace); $("p-opt").value = s.optimizer;
    $("p-mom").disabled = s.optimizer !== "sgd" && s.optimizer !== "rmsprop";
    $("p-nlayers").textContent = s.arch ? "?" : s.hidden.length;
    if (document.activeElement !== $("p-arch")) $("p-arch").value = archString();
  }
  function bindNumber(id, key, integer) {
    $(id).addEventListener("change", () => {
      const v = Number($(id).value);
      if (!isFinite(v)) return;
      S.setup[key] = integer ? Math.round(v) : v;
      scheduleRebuild(["n", "noise", "test_fraction", "data_seed"].includes(key));
    });
  }
  function parseArch(text) {
    const t = text.trim().replace(/\s+/g, " ");
    const m = t.match(/^((?:linear\(\d+\) [a-z_]+ )*)linear\((\d+)\)$/);
    if (!m) return null;
    const parts = m[1].trim() ? m[1].trim().split(" ") : [];
    const widths = [], acts = new Set();
    for (let i = 0; i < parts.length; i += 2) { widths.push(Number(parts[i].slice(7, -1))); acts.add(parts[i + 1]); }
    if (acts.size > 1 || Number(m[2]) !== S.classes) return null;
    return { hidden: widths, act: acts.size ? [...acts][0] : S.setup.act };
  }
  function setPreset(exact) {
    Object.assign(S.setup, { hidden: SEED_2D.slice(), act: "relu", arch: "", lr: 0.1, momentum: 0.9,
                             batch_size: 16, weight_decay: 0, epochs: 100,
                             init: exact ? "torch" : "he", clip_grad_norm: exact ? 0 : 0.5, standardize: !exact });
    scheduleRebuild(false);
  }
  function mapClick(ev, remove) {
    const w = S.view ? S.view : windowOf(points());
    const G = mapGeometry(w), r = G.c.getBoundingClientRect();
    const px = (ev.clientX - r.left) * G.cw / r.width, py = (ev.clientY - r.top) * G.ch / r.height;
    if (remove) {
      let best = null, bd = 12 * 12;
      const consider = (p, key) => { const d = (G.px(p[0]) - px) ** 2 + (G.py(p[1]) - py) ** 2; if (d < bd) { bd = d; best = key; } };
      S.base.train.forEach((p, i) => S.edits.removed.has("t" + i) || consider(p, "t" + i));
      S.base.test.forEach((p, i) => S.edits.removed.has("s" + i) || consider(p, "s" + i));
      S.edits.added.forEach((p, i) => consider(p, "a" + i));
      if (best === null) return;
      if (best[0] === "a") S.edits.added.splice(Number(best.slice(1)), 1); else S.edits.removed.add(best);
    } else {
      S.edits.added.push([Number(G.dx(px).toFixed(3)), Number(G.dy(py).toFixed(3)), ev.shiftKey ? 1 : 0]);
    }
    drawMap();
    scheduleRebuild(false);
  }
  function loadCsv(file) {
    file.text().then((text) => {
      const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
      const pts = [];
      for (const l of rows) {
        const f = l.split(",").map(Number);
        if (f.length === 3 && f.every(isFinite)) pts.push(f);
      }
      if (pts.length < 2) { setStatus(file.name + ": no x1,x2,label rows", true); return; }
      // The file becomes the data: a test share of its rows, the rest train.
      const nTest = Math.max(1, Math.round(pts.length * S.setup.test_fraction));
      S.base = { train: pts.slice(nTest), test: pts.slice(0, nTest), noise: 0 };
      S.edits = { added: [], removed: new Set(["csv"]) };
      scheduleRebuild(false);
    });
  }
  function bind(layers) {
    for (const g of layers.generators) {
      const b = document.createElement("button");
      b.textContent = g; b.dataset.gen = g;
      b.onclick = () => { S.setup.data = g; S.setup.noise = null; S.edits = { added: [], removed: new Set() }; scheduleRebuild(true); };
      $("p-gens").appendChild(b);
    }
    for (const l of layers.layers.filter((l) => l.category === "activation")) $("p-act").add(new Option(l.name, l.name));
    for (const o of layers.optimizers) $("p-opt").add(new Option(o, o));
    for (const i of layers.inits) $("p-init").add(new Option(i, i));
    for (const [id, key] of [["p-noise", "noise"], ["p-n", "n"], ["p-testfrac", "test_fraction"]]) {
      $(id).addEventListener("input", () => { $(id + "-v").textContent = $(id).value; });
      bindNumber(id, key, key === "n");
    }
    bindNumber("p-dataseed", "data_seed", true);
    for (const [id, key, int] of [["p-lr", "lr"], ["p-mom", "momentum"], ["p-batch", "batch_size", true],
                                  ["p-wd", "weight_decay"], ["p-clip", "clip_grad_norm"], ["p-epochs", "epochs", true],
                                  ["p-seed", "seed", true]]) bindNumber(id, key, int);
    $("p-opt").onchange = () => { S.setup.optimizer = $("p-opt").value; scheduleRebuild(false); };
    $("p-init").onchange = () => { S.setup.init = $("p-init").value; scheduleRebuild(false); };
    $("p-std").onchange = () => { S.setup.standardize = $("p-std").checked; scheduleRebuild(false); };
    $("p-act").onchange = () => { S.setup.act = $("p-act").value; S.setup.arch = ""; scheduleRebuild(false); };
    $("p-pace").onchange = () => { S.setup.pace = Number($("p-pace").value); toHash(); if (S.run && S.run.state === "playing") control("play"); };
    $("p-regen").onclick = () => { S.setup.data_seed += 1; S.edits = { added: [], removed: new Set() }; scheduleRebuild(true); };
    $("p-clear-edits").onclick = () => { S.edits = { added: [], removed: new Set() }; scheduleRebuild(true); };
    $("p-layer-plus").onclick = () => { if (S.setup.hidden.length < 8) S.setup.hidden.push(4); S.setup.arch = ""; scheduleRebuild(false); };
    $("p-layer-minus").onclick = () => { S.setup.hidden.pop(); S.setup.arch = ""; scheduleRebuild(false); };
    $("p-arch").onchange = () => {
      const parsed = parseArch($("p-arch").value);
      if (parsed) { S.setup.hidden = parsed.hidden; S.setup.act = parsed.act; S.setup.arch = ""; }
      else S.setup.arch = $("p-arch").value.trim();
      scheduleRebuild(false);
    };
    $("p-seed2d").onclick = () => setPreset(false);
    $("p-seedexact").onclick = () => setPreset(true);
    $("p-play").onclick = () => {
      if (!S.run) { S.wantPlay = true; return; }
      if (S.run.state === "playing") { S.wantPlay = false; control("pause"); }
      else if (S.run.state === "finished") { S.wantPlay = true; control("reset").then(() => control("play")); }
      else { S.wantPlay = true; control("play"); }
    };
    $("p-step").onclick = () => { S.wantPlay = false; control("step"); };
    $("p-reset").onclick = () => { S.wantPlay = false; control("reset"); };
    $("p-map").addEventListener("click", (e) => mapClick(e, false));
    $("p-map").addEventListener("contextmenu", (e) => { e.preventDefault(); mapClick(e, true); });
    $("p-csv").onchange = () => { if ($("p-csv").files[0]) loadCsv($("p-csv").files[0]); };
    $("p-copy-cmd").onclick = () => {
      const t = $("p-cmd").textContent;
      (navigator.clipboard ? navigator.clipboard.writeText(t) : Promise.reject()).then(
        () => setStatus("command copied"), () => setStatus("select the command below to copy it"));
    };
    window.addEventListener("pagehide", () => { if (S.run) Api.forget(S.run.id); });
    setInterval(viewTick, 100);
  }

  async function init(layers) {
    bind(layers);
    fromHash();
    syncControls();
    await rebuild(true);
    toHash();
    syncControls();
  }
  return { init, state: S, toHash };
})();
