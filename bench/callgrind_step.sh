#!/usr/bin/env bash
# Instructions per training step (forward + backward + SGD), counted by
# valgrind's callgrind: repeatable run to run, unlike the clock on a loaded
# machine, so a change that adds work shows even when timings are noise.
#
# Two `handgrad bench` runs differ only in --reps (A and B repetitions of
# --steps S steps each); everything else a run does (start-up, building the
# network and data, the warm-up, the optimizer-only timing and the per-op
# profile, which scale with --steps but not --reps) is the same in both, so
#   (total instructions at B reps - at A reps) / ((B - A) x S)
# is exactly the cost of one step of the timed loop.
#   bench/callgrind_step.sh [handgrad binary]          # seed-cnn and seed-mlp, avx2, 1 thread
#   PRESETS=seed-cnn KERNELS=generic bench/callgrind_step.sh build/handgrad
set -euo pipefail
bin=${1:-build/handgrad}
presets=${PRESETS:-seed-cnn seed-mlp}
kernels=${KERNELS:-avx2}
steps=${STEPS:-32}  # the 32 batches bench cycles through: each rep sees the same data
reps_a=1
reps_b=${REPS:-6}
command -v valgrind >/dev/null || { echo "callgrind_step.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total() {  # preset reps -> instructions of the whole process
  local out="$tmp/out.$1.$2"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin" bench --preset "$1" --kernels "$kernels" --threads 1 --batch-size 8 \
    --steps "$steps" --reps "$2" >/dev/null 2>"$tmp/log.$1.$2" ||
    { cat "$tmp/log.$1.$2" >&2; exit 1; }
  sed -n 's/^summary: *//p' "$out"
}
for p in $presets; do
  a=$(total "$p" "$reps_a")
  b=$(total "$p" "$reps_b")
  per=$(((b - a) / ((reps_b - reps_a) * steps)))
  echo "$p ($kernels, 1 thread, batch 8): $per instructions per training step" \
    "(Δ of --reps $reps_b and --reps $reps_a at --steps $steps)"
done
