#!/usr/bin/env bash
# ThreadSanitizer run of the threaded code: builds with -DHANDGRAD_TSAN=ON in
# build-tsan/ and runs the tests that use several threads (in-process, and
# CLI runs with --threads > 1, whose handgrad is the TSan build too: a race
# there makes it exit 66 and the test fail). Any report fails the script.
#   scripts/tsan.sh [GTEST_FILTER]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD_DIR:-build-tsan}"
FILTER="${1:-Threads.*:Team.*:FastKernels.*:*StepRunner*:Slices.*}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHANDGRAD_TSAN=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target handgrad_tests
# halt_on_error: the first race fails the run; second_deadlock_stack: full reports.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
"$BUILD/tests/handgrad_tests" --gtest_filter="$FILTER"
