// Runs an exported model in ONNX Runtime (npm onnxruntime-node, CPU, one
// thread) on the raw inputs of a `handgrad eval --logits FILE` dump and
// compares with handgrad's logits.
//   node ort_compare.js MODEL.onnx DUMP.safetensors BATCH
// BATCH: 0 for a model with a dynamic batch (one run over all samples), or
// the model's fixed batch size (the last chunk is padded with zeros).
// Prints one JSON line: n, classes, input/output names, max_abs_diff
// (logits), max_rel_diff (|difference| / max(1, |handgrad's logit|)), max_prob_diff (ONNX probabilities vs softmax of handgrad's
// logits, in double), class_mismatches, the ONNX Runtime version.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

// safetensors: u64 LE header length, JSON header, then the data (F32 only here).
function readSafetensors(path) {
  const buf = fs.readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`${path}: ${name} is ${t.dtype}, not F32`);
    const [b, e] = t.data_offsets;
    const bytes = Uint8Array.prototype.slice.call(buf, 8 + n + b, 8 + n + e);
    tensors[name] = { shape: t.shape, data: new Float32Array(bytes.buffer) };
  }
  return tensors;
}

function argmax(a, off, k) {
  let best = 0;
  for (let j = 1; j < k; ++j) if (a[off + j] > a[off + best]) best = j;
  return best;
}

// Runs the model over all n samples, `batch` at a time (0: all at once).
async function runAll(session, input, n, batch) {
  const per = input.shape.slice(1);
  const f = per.reduce((a, b) => a * b, 1);
  const step = batch > 0 ? batch : n;
  let logits = null, probs = null, k = 0;
  for (let i = 0; i < n; i += step) {
    const x = new Float32Array(step * f);  // zero padding past n
    x.set(input.data.subarray(i * f, Math.min(n, i + step) * f));
    const out = await session.run({ input: new ort.Tensor('float32', x, [step, ...per]) });
    k = out.logits.dims[1];
    if (!logits) { logits = new Float32Array(n * k); probs = new Float32Array(n * k); }
    const used = Math.min(step, n - i) * k;
    logits.set(out.logits.data.subarray(0, used), i * k);
    probs.set(out.probabilities.data.subarray(0, used), i * k);
  }
  return { logits, probs, k };
}

async function main() {
  const [model, dump, batchArg] = process.argv.slice(2);
  const t = readSafetensors(dump);
  const n = t.input.shape[0];
  const session = await ort.InferenceSession.create(model,
      { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
  const { logits, probs, k } = await runAll(session, t.input, n, Number(batchArg || 0));
  if (k !== t.logits.shape[1]) throw new Error(`ONNX gives ${k} classes, handgrad ${t.logits.shape[1]}`);
  let maxAbs = 0, maxRel = 0, maxProb = 0, mismatches = 0;
  for (let i = 0; i < n; ++i) {
    const ref = t.logits.data.subarray(i * k, (i + 1) * k);
    const m = Math.max(...ref);
    const z = Array.from(ref, (v) => Math.exp(v - m)).reduce((a, b) => a + b, 0);
    for (let j = 0; j < k; ++j) {
      const d = Math.abs(logits[i * k + j] - ref[j]);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(1, Math.abs(ref[j])));
      maxProb = Math.max(maxProb, Math.abs(probs[i * k + j] - Math.exp(ref[j] - m) / z));
    }
    if (argmax(logits, i * k, k) !== argmax(t.logits.data, i * k, k)) ++mismatches;
  }
  console.log(JSON.stringify({
    n, classes: k, inputs: session.inputNames, outputs: session.outputNames,
    max_abs_diff: maxAbs, max_rel_diff: maxRel, max_prob_diff: maxProb, class_mismatches: mismatches,
    onnxruntime: require('onnxruntime-node/package.json').version,
  }));
}

main().catch((e) => { console.error(`ort_compare.js: ${e.message}`); process.exit(1); });
