#!/usr/bin/env bash
# Installs the npm packages that the ONNX Runtime tests and examples/onnx use
# into a cache folder outside the repository, ${HANDGRAD_NPM:-~/.cache/handgrad/npm}:
#   onnxruntime-node  ONNX Runtime's CPU library and its Node.js binding; both
#                     are inside the npm package, so --ignore-scripts (which
#                     skips only the optional CUDA download) leaves it usable
#   pngjs             a PNG decoder in plain JavaScript, for examples/onnx
# Does nothing when the pinned versions are already there and load.
# Exit 1 with one line when npm or the registry is not available.
set -euo pipefail
DIR="${HANDGRAD_NPM:-$HOME/.cache/handgrad/npm}"
ORT=1.30.0
PNGJS=7.0.0
usable() {
  (cd "$DIR" && node -e "
    const ok = require('onnxruntime-node/package.json').version === '$ORT' &&
               require('pngjs/package.json').version === '$PNGJS';
    require('onnxruntime-node'); require('pngjs');
    process.exit(ok ? 0 : 1);") 2>/dev/null
}
if usable; then
  echo "npm_deps.sh: $DIR has onnxruntime-node@$ORT and pngjs@$PNGJS"
  exit 0
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "npm_deps.sh: $tool not found" >&2; exit 1; }
done
mkdir -p "$DIR"
npm install --prefix "$DIR" --ignore-scripts --no-audit --no-fund --save-exact --loglevel=error \
  "onnxruntime-node@$ORT" "pngjs@$PNGJS" >/dev/null
usable || { echo "npm_deps.sh: onnxruntime-node@$ORT installed in $DIR but does not load" >&2; exit 1; }
echo "npm_deps.sh: installed onnxruntime-node@$ORT and pngjs@$PNGJS in $DIR"
