#!/usr/bin/env bash
# The benchmark of issue 8: the built-in SIMD kernels against XNNPACK, oneDNN, Eigen, SLEEF,
# libtorch, plain std:: loops and the copy bandwidth, one thread, in one run (bench/main.cpp).
#
#   bash scripts/bench.sh                       # everything (4 MiB and 256 MiB arrays, rows)
#   bash scripts/bench.sh --nnc_small_only      # skip the 256 MiB arrays
#   bash scripts/bench.sh --benchmark_filter=sigmoid --benchmark_repetitions=9
#
# Installs the peer libraries from Debian (they are needed by nothing else), builds the
# optional target nnconform-bench in build/bench, and runs it pinned to one thread. Results: the
# console tables and docs/bench-results.json (set OUT to write elsewhere). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh libbenchmark-dev libsleef-dev libeigen3-dev libxnnpack-dev libpthreadpool-dev \
  libcpuinfo-dev libdnnl-dev libtorch-dev

build=${BUILD:-build/bench}
jobs=${JOBS:-2}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNCONFORM_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target nnconform-bench

out=${OUT:-docs/bench-results.json}
export OMP_NUM_THREADS=1
exec "$build/bench/nnconform-bench" --nnc_json="$out" "$@"
