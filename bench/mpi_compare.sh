#!/usr/bin/env bash
# One process with 2 threads vs 2 MPI ranks with 1 thread each, training
# throughput side by side (docs/distributed.md): the two runs of a round go
# back to back, so both see the same machine load; ROUNDS rounds, then the
# median of each. Also the gradient exchange per step that rank 0 measures
# (its median over the run's steps; it includes waiting for the slower rank).
#
#   bench/mpi_compare.sh                      # seed-cnn, batches 64 and 256, 5 rounds
#   ROUNDS=9 BATCHES="64" ARCH="flatten linear(1024) relu linear(128) relu linear(10)" bench/mpi_compare.sh
#
# Needs MNIST ($HANDGRAD_DATA/mnist or --data-dir in EXTRA) and mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${HANDGRAD_BIN:-build/handgrad}
ROUNDS=${ROUNDS:-5}
BATCHES=${BATCHES:-"64 256"}
SAMPLES=${SAMPLES:-12800}   # training samples per run (200 steps of batch 64)
NET=${ARCH:+--arch "'$ARCH'"}
NET=${NET:---preset seed-cnn}
EXTRA=${EXTRA:-}
# BIND=core pins each rank to a core: best on an idle machine, worse on a
# loaded one (a pinned rank waits for its core while the other is free).
# YIELD=1: waiting ranks yield the core instead of spinning (Open MPI's
# mpi_yield_when_idle): kinder to a machine shared with other work.
MPIRUN="mpirun -q -np 2 --bind-to ${BIND:-none} --mca btl self,vader"
[ -n "${YIELD:-}" ] && MPIRUN="$MPIRUN --mca mpi_yield_when_idle 1"
[ "$(id -u)" -eq 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
command -v mpirun >/dev/null || { echo "mpi_compare.sh: no mpirun (apt install openmpi-bin)" >&2; exit 1; }

train() {  # batch, the launcher ("" for one process), then train flags
  local b=$1 launcher=$2; shift 2
  eval "$launcher $BIN train $* $NET --train-limit $SAMPLES --test-limit 1000 --batch-size $b --epochs 1" \
       "--checkpoint-every 0 --eval-every 1000000 --quiet --json $EXTRA" 2>/dev/null | tail -1
}

field() { /usr/bin/python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))" "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for b in $BATCHES; do
  : >"$tmp/t$b"; : >"$tmp/r$b"; : >"$tmp/x$b"; : >"$tmp/c$b"; : >"$tmp/m$b"
  for i in $(seq "$ROUNDS"); do
    t=$(train "$b" "" --threads 2 --out "$tmp/a" | field 'j["samples_per_second"]')
    j=$(train "$b" "$MPIRUN" --threads 1 --out "$tmp/b")
    r=$(echo "$j" | field 'j["samples_per_second"]')
    x=$(echo "$j" | field 'j["mpi"]["exchange_seconds_median"]*1e3')
    c=$(echo "$j" | field 'j["mpi"]["compute_seconds_median"]*1e3')
    m=$(echo "$j" | field 'j["mpi"]["exchange_seconds_min"]*1e3')
    echo "$t" >>"$tmp/t$b"; echo "$r" >>"$tmp/r$b"; echo "$x" >>"$tmp/x$b"; echo "$c" >>"$tmp/c$b"; echo "$m" >>"$tmp/m$b"
    printf 'batch %4d round %d: 1 process x 2 threads %8.0f samples/s | 2 ranks x 1 thread %8.0f samples/s, exchange %.3f ms (min %.3f), compute %.3f ms per step\n' \
      "$b" "$i" "$t" "$r" "$x" "$m" "$c"
    rm -rf "$tmp/a" "$tmp/b"
  done
  mt=$(median <"$tmp/t$b"); mr=$(median <"$tmp/r$b"); mx=$(median <"$tmp/x$b"); mc=$(median <"$tmp/c$b"); mm=$(median <"$tmp/m$b")
  printf 'batch %4d medians of %d: threads %.0f samples/s, ranks %.0f samples/s (ratio ranks/threads %.2f); exchange %.3f ms (min %.3f), compute %.3f ms per step\n' \
    "$b" "$ROUNDS" "$mt" "$mr" "$(/usr/bin/python3 -c "print($mr/$mt)")" "$mx" "$mm" "$mc"
done
