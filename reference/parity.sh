#!/usr/bin/env bash
# Parity with PyTorch: the same initial weights and the same batches through
# handgrad and through torch, compared number by number.
#
#   reference/parity.sh ARCH|PRESET DATA STEPS [options]
#     ARCH|PRESET  seed-cnn, seed-mlp, seed-2d or an architecture string (quoted)
#     DATA         mnist, fashion-mnist or a CSV file "x1,...,xF,label"
#     STEPS        optimizer steps to replay
#   options: --batch-size B (8) --seed S (0: weights, batch order, dropout masks) --init torch|he|xavier
#            training flags, passed to both sides as given (defaults: handgrad's = torch's,
#            sgd's lr 0.01 and momentum 0.9): --optimizer sgd|adam|adamw|rmsprop --lr X
#            --momentum X --weight-decay X --nesterov --beta1 X --beta2 X --eps X --alpha X
#            --loss ce|mse --lr-schedule constant|cosine|step --lr-gamma X --lr-step-epochs X
#            (an epoch is the STEPS batches)
#            --input DIMS (default: the preset's, 1x28x28 for MNIST, F for a CSV)
#            --test-data FILE.csv (default: DATA itself) --threads N (handgrad's, 1)
#            --out DIR (keep the files there; default a temporary folder)
#            --bin PATH (handgrad; default $HANDGRAD_BIN, then build/handgrad)
#            --json FILE (the figures as JSON)
#            --tol-logits-final X (compare.py's; default 1e-5)
# Exit status: 0 all within tolerance, 1 over tolerance, 2 bad usage or a failed run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-/usr/bin/python3}"
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 3 ]] || usage
model="$1" data="$2" steps="$3"
shift 3
batch=8 seed=0 init=torch input="" test_data="" threads=1 out="" json="" tol_final=""
train=()  # the training flags, for both sides
bin="${HANDGRAD_BIN:-$here/../build/handgrad}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch-size) batch="$2"; shift 2 ;;
    --optimizer|--lr|--momentum|--weight-decay|--beta1|--beta2|--eps|--alpha|--loss|\
    --lr-schedule|--lr-gamma|--lr-step-epochs) train+=("$1" "$2"); shift 2 ;;
    --nesterov) train+=(--nesterov); shift ;;
    --seed) seed="$2"; shift 2 ;;
    --init) init="$2"; shift 2 ;;
    --input) input="$2"; shift 2 ;;
    --test-data) test_data="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --tol-logits-final) tol_final="$2"; shift 2 ;;
    *) echo "parity.sh: unknown option '$1'" >&2; usage ;;
  esac
done
[[ -x "$bin" ]] || { echo "parity.sh: handgrad binary '$bin' not found (build it, or --bin)" >&2; exit 2; }
"$py" -c "import torch" 2>/dev/null || { echo "parity.sh: $py cannot import torch" >&2; exit 2; }

if [[ -z "$out" ]]; then
  out="$(mktemp -d "${TMPDIR:-/tmp}/parity.XXXXXX")"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

data_flags=(--data "$data")
if [[ "$data" == *.csv ]]; then
  # A CSV is not split: all of it trains, and the test batch comes from --test-data.
  data_flags+=(--test-data "${test_data:-$data}")
  [[ -n "$input" ]] || input="$(awk -F, 'NF>1 && $1 ~ /^[-+0-9.eE]+$/ {print NF-1; exit}' "$data")"
fi
case "$model" in
  seed-cnn|seed-mlp|seed-2d) model_flags=(--preset "$model") ;;
  *) model_flags=(--arch "$model"); [[ -n "$input" ]] || input="1x28x28" ;;
esac
[[ -n "$input" ]] && model_flags+=(--input "$input")

export HANDGRAD_BIN="$bin"  # reference/arch.py asks it for the layers
"$bin" init "${model_flags[@]}" --init "$init" --seed "$seed" --out "$out/init.safetensors" >/dev/null
"$py" "$here/batch_order.py" "${data_flags[@]:0:2}" --batch-size "$batch" --steps "$steps" \
  --seed "$seed" --out "$out/order.txt"
"$bin" replay --init "$out/init.safetensors" "${data_flags[@]}" --batch-order "$out/order.txt" \
  "${train[@]}" --threads "$threads" --seed "$seed" --out "$out/handgrad"
"$py" "$here/replay.py" --init "$out/init.safetensors" "${data_flags[@]}" \
  --batch-order "$out/order.txt" "${train[@]}" --seed "$seed" --out "$out/torch"
label="$model on $data, $steps steps, batch $batch, ${train[*]:-sgd lr 0.01 momentum 0.9}"
set +e
"$py" "$here/compare.py" "$out/handgrad" "$out/torch" --label "$label" ${json:+--json "$json"} \
  ${tol_final:+--tol-logits-final "$tol_final"}
rc=$?
set -e
if [[ $rc -eq 1 ]]; then
  # Over tolerance: is it handgrad, or did torch float32 leave the exact
  # trajectory at a max-pool/ReLU near-tie? Replay in float64 and let it decide
  # the trajectory figures (see compare.py --exact).
  echo "parity.sh: over tolerance against torch float32; replaying in float64 to find out why"
  "$py" "$here/replay.py" --init "$out/init.safetensors" "${data_flags[@]}" \
    --batch-order "$out/order.txt" "${train[@]}" --seed "$seed" --dtype float64 --out "$out/torch64"
  set +e
  "$py" "$here/compare.py" "$out/handgrad" "$out/torch" --exact "$out/torch64" \
    --label "$label" ${json:+--json "$json"} ${tol_final:+--tol-logits-final "$tol_final"}
  rc=$?
  set -e
fi
exit "$rc"
