// node classify.js MODEL.onnx DIGIT.png: the top 3 classes of a 28x28 PNG (white digit on black, as MNIST's).
const fs = require('fs'), ort = require('onnxruntime-node'), { PNG } = require('pngjs');
const [model, image] = process.argv.slice(2);
const png = PNG.sync.read(fs.readFileSync(image));  // any PNG colour type -> 8-bit RGBA
if (png.width !== 28 || png.height !== 28) { console.error(`${image} is not 28x28`); process.exit(1); }
const gray = (i) => (0.299 * png.data[4 * i] + 0.587 * png.data[4 * i + 1] + 0.114 * png.data[4 * i + 2]) / 255;
const x = new ort.Tensor('float32', Float32Array.from({ length: 784 }, (_, i) => gray(i)), [1, 1, 28, 28]);
ort.InferenceSession.create(model).then((s) => s.run({ input: x })).then(({ probabilities: p }) => {
  const top = [...p.data].map((v, c) => [c, v]).sort((a, b) => b[1] - a[1]).slice(0, 3);
  console.log(top.map(([c, v]) => `${c} ${v.toFixed(4)}`).join(', '));
}).catch((e) => { console.error(`classify.js: ${e.message}`); process.exit(1); });
