#!/usr/bin/env bash
# handgrad vs PyTorch, training throughput side by side, in one invocation:
# seed-cnn and seed-mlp at batch 1, 8, 64 on 1 and 2 threads (each pair run
# back to back, so both see the same machine load), plus this machine's
# float32 FMA peak and handgrad's fraction of it.
#
#   bench/compare_torch.sh            # builds build/handgrad if needed
#   HANDGRAD_BIN=path/to/handgrad PRESETS="seed-cnn" BATCHES="8" THREADS="2" bench/compare_torch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
BIN=${HANDGRAD_BIN:-build/handgrad}
PRESETS=${PRESETS:-"seed-cnn seed-mlp"}
BATCHES=${BATCHES:-"1 8 64"}
THREADS=${THREADS:-"1 2"}
if [[ ! -x $BIN ]]; then
  echo "building $BIN ..." >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j2 --target handgrad >/dev/null
fi
if ! $PY -c "import torch" 2>/dev/null; then
  echo "compare_torch.sh: $PY cannot import torch (apt install python3-torch)" >&2
  exit 1
fi
# The PyTorch loop: reference/torch_train.py --bench (the seed's Q4 script,
# timing training steps only on in-memory synthetic batches).
torch_cmd() {  # preset batch threads
  $PY reference/torch_train.py --bench --synthetic --json --preset "$1" --batch-size "$2" \
    --threads "$3" --steps $((1000 / $2 + 50)) --reps 5
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for t in $THREADS; do "$BIN" bench --peak --threads "$t" --json >"$tmp/peak_$t.json"; done
for p in $PRESETS; do
  for b in $BATCHES; do
    for t in $THREADS; do
      "$BIN" bench --preset "$p" --batch-size "$b" --threads "$t" --json >"$tmp/hg_${p}_${b}_${t}.json"
      torch_cmd "$p" "$b" "$t" >"$tmp/torch_${p}_${b}_${t}.json"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
$PY - "$tmp" "$PRESETS" "$BATCHES" "$THREADS" "$load_before" "$load_after" <<'PYEOF'
import json, platform, subprocess, sys
tmp, presets, batches, threads, lb, la = sys.argv[1:]
def rd(name):
    with open(f"{tmp}/{name}.json") as f:
        return json.load(f)
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
peak = {t: rd(f"peak_{t}") for t in threads.split()}
first = next(iter(peak.values()))
print(f"machine: {cpu}, {platform.machine()}; handgrad kernels: {first['kernel_path']}; "
      f"load average before {lb}, after {la}")
print("FMA peak (float32, measured): " + ", ".join(
    f"{t} thread(s) {peak[t]['peak_gflops']:.1f} GFLOP/s wall, "
    f"{peak[t]['peak_gflops_cpu']:.1f} per CPU time" for t in threads.split()))
hdr = (f"{'preset':<9} {'batch':>5} {'thr':>3} {'handgrad/s':>11} {'torch/s':>9} {'ratio':>6} "
       f"{'GFLOP/s':>8} {'%peak':>6} {'hg CPU-time/s':>13} {'%peak':>6}")
print(hdr)
print("-" * len(hdr))
for p in presets.split():
    for b in batches.split():
        for t in threads.split():
            h, q = rd(f"hg_{p}_{b}_{t}"), rd(f"torch_{p}_{b}_{t}")
            hs, ts = h["samples_per_s"], q["samples_per_second"]
            print(f"{p:<9} {b:>5} {t:>3} {hs:>11.0f} {ts:>9.0f} {hs / ts:>5.1f}x "
                  f"{h['gflops']:>8.1f} {100 * h['gflops'] / peak[t]['peak_gflops']:>5.1f}% "
                  f"{h['samples_per_cpu_s']:>13.0f} "
                  f"{100 * h['gflops_cpu'] / peak[t]['peak_gflops_cpu']:>5.1f}%")
mf = {p: rd(f"hg_{p}_{batches.split()[0]}_{threads.split()[0]}") for p in presets.split()}
print("work per training sample: " + ", ".join(
    f"{p} {m['mflop_per_sample']:.3f} MFLOP (fwd {m['mflop_fwd']:.3f}, bwd {m['mflop_bwd']:.3f})"
    for p, m in mf.items()))
print("handgrad/s, torch/s: median wall-clock samples/s; GFLOP/s and the first %peak: "
      "handgrad's wall rate vs the wall-clock FMA peak; hg CPU-time/s: samples per (process "
      "CPU second / threads), and the second %peak against the CPU-time peak: both far less "
      "sensitive to other load on the machine")
PYEOF
