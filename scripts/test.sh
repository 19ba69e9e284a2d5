#!/usr/bin/env bash
# The test command: install dependencies, build, run every test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --preset release "$@"
