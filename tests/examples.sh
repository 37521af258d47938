#!/usr/bin/env bash
# The library examples as a user meets them (CTest runs both):
#   examples.sh run BIN                       run examples/moons_loop in a temp dir
#   examples.sh install CMAKE BUILD SOURCE    install BUILD to a temp prefix, build
#       examples/ on its own with find_package(handgrad), run what it built
# Either way the program must train the moons to >= 0.85 test accuracy.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

check() {  # $1: the moons_loop binary
  (cd "$work" && "$1" 100) >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  cat "$work/out"
  acc="$(awk '/test accuracy/ {a = $NF} END {print a}' "$work/out")"
  [ -s "$work/moons_loop.safetensors" ] || { echo "no model written"; exit 1; }
  awk -v a="$acc" 'BEGIN {exit !(a >= 0.85)}' || { echo "test accuracy $acc < 0.85"; exit 1; }
}

case "$1" in
  run) check "$2" ;;
  install)
    cmake="$2" build="$3" src="$4"
    "$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
    [ -x "$work/prefix/bin/handgrad" ] || { echo "install: no bin/handgrad"; exit 1; }
    "$cmake" -S "$src/examples" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
    "$cmake" --build "$work/build" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    check "$work/build/moons_loop"
    ;;
  *) echo "usage: examples.sh run BIN | install CMAKE BUILD SOURCE" >&2; exit 2 ;;
esac
