#!/usr/bin/env bash
# Instructions per training step (forward + backward + SGD), counted by
# valgrind's callgrind: repeatable run to run, unlike the clock on a loaded
# machine. Two runs that differ only in their step count; the difference
# divided by the extra steps removes start-up, warm-up and the per-op profile.
#   bench/callgrind_step.sh [handgrad binary] [bench flags...]
#   bench/callgrind_step.sh build/handgrad --preset seed-mlp --kernels avx2
set -euo pipefail
bin=${1:-build/handgrad}
shift || true
flags=("$@")
[ ${#flags[@]} -eq 0 ] && flags=(--preset seed-cnn --kernels avx2)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() {  # steps -> collected instructions in StepRunner::loss_and_grad + Sgd::step
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out.$1" \
    --toggle-collect='handgrad::StepRunner::loss_and_grad*' \
    --toggle-collect='handgrad::Sgd<float>::step*' \
    "$bin" bench "${flags[@]}" --steps "$1" --reps 1 >/dev/null 2>"$tmp/log.$1"
  sed -n 's/^summary: *//p' "$tmp/out.$1"
}
a=$(count 10)
b=$(count 30)
echo "instructions per training step: $(((b - a) / 20)) (${flags[*]})"
