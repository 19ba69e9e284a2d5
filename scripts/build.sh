#!/usr/bin/env bash
# Installs the dependencies (Debian packages) and builds the release preset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
