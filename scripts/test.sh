#!/usr/bin/env bash
# Builds (if needed) and runs the whole test suite with CTest.
# Tests that need MNIST look where the CLI does ($HANDGRAD_DATA/mnist, then
# ~/.cache/handgrad/mnist, where `handgrad data fetch mnist` puts it; also
# ../shared/data beside the project) and skip, saying so, when it is absent.
# The end of the output says how many tests skipped and why.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD_DIR:-build}"
if [ -z "${HANDGRAD_DATA:-}" ] && [ -d ../shared/data/mnist ]; then
  HANDGRAD_DATA="$(cd ../shared/data && pwd)"
  export HANDGRAD_DATA
fi
# Sanitizer builds: fontconfig (through cairo's text) keeps a cache that
# LeakSanitizer would report; tests/lsan.supp suppresses that library only.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
rc=0
# CTEST_ARGS: extra ctest arguments (CI's sanitizer pass leaves out the long torch-side
# parity sweeps, which the Release pass runs).
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" --timeout 900 ${CTEST_ARGS:-} || rc=$?
bash scripts/skip_summary.sh "$BUILD/Testing/Temporary/LastTest.log"
exit "$rc"
