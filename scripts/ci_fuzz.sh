#!/usr/bin/env bash
# CI: every libFuzzer target briefly (FUZZ_SECONDS, default 30 s each) on its
# seed corpus, plus the inputs that once crashed it (tests/fuzz/<target>/).
# Fails if any target finds a crash, leak, timeout or out-of-memory input.
# Needs clang and libclang-rt-14-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-30}"
fuzz/build.sh
status=0
for bin in build-fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  t="$(basename "$bin")"
  # Known crashers first: a regression fails fast with a clear name.
  if [ -d "tests/fuzz/$t" ] && ! "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 "tests/fuzz/$t"/* >/dev/null 2>&1; then
    echo "$t: an input in tests/fuzz/$t fails again" >&2
    status=1
  fi
  FUZZ_NO_BUILD=1 fuzz/run.sh "$t" "$SECONDS_EACH" || status=1
done
exit $status
