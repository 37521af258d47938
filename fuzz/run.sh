#!/usr/bin/env bash
# Runs one libFuzzer target (or `all`, one after another) for SECONDS each:
#   fuzz/run.sh fuzz_arch 60      fuzz/run.sh all 30
# Starts from the committed seeds in fuzz/corpus/<target>/ and keeps what it
# learns in fuzz/out/<target>/corpus (ignored by git). Crashes, leaks,
# timeouts (> 10 s per input) and out-of-memory (> 2 GiB) are written to
# fuzz/out/<target>/ and make the script fail. Builds first (fuzz/build.sh).
# FUZZ_ARGS adds libFuzzer flags, e.g. FUZZ_ARGS="-runs=10000000".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: fuzz/run.sh TARGET|all SECONDS" >&2
  exit 2
fi
BUILD="${FUZZ_BUILD:-build-fuzz}"
[ -n "${FUZZ_NO_BUILD:-}" ] || fuzz/build.sh >/dev/null

targets=("$1")
if [ "$1" = all ]; then
  targets=()
  for f in "$BUILD"/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi

status=0
for t in "${targets[@]}"; do
  bin="$BUILD/$t"
  if [ ! -x "$bin" ]; then
    echo "$t: not built (its reader may not exist yet)" >&2
    status=1
    continue
  fi
  out="fuzz/out/$t"
  mkdir -p "$out/corpus"
  seeds="fuzz/corpus/$t"
  dict=()
  # fuzz_arch's dictionary is generated from the layer table at build time.
  [ -f "$BUILD/$t.dict" ] && dict=(-dict="$BUILD/$t.dict")
  echo "== $t for $2 s (log: $out/log)"
  if "$bin" "$out/corpus" "$seeds" "${dict[@]}" -max_total_time="$2" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/" ${FUZZ_ARGS:-} >"$out/log" 2>&1; then
    grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss' "$out/log" || true
  else
    status=1
    echo "$t: FOUND A PROBLEM; inputs in $out/ (crash-*, timeout-*, oom-*, leak-*):" >&2
    grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error' "$out/log" | head -8 >&2 || true
  fi
done
exit $status
