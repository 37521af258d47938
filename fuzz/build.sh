#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ into build-fuzz/ (or $FUZZ_BUILD).
# Needs Debian's clang and libclang-rt-14-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${FUZZ_BUILD:-build-fuzz}"
CXX_BIN="${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}"
cmake -S fuzz -B "$BUILD" -DCMAKE_CXX_COMPILER="$CXX_BIN" >/dev/null
cmake --build "$BUILD" -j"${FUZZ_JOBS:-2}"
