#!/usr/bin/env bash
# Installs the Debian packages nnconform builds against, plus any given as arguments (the
# benchmark's peer libraries: scripts/bench.sh). Idempotent: packages already present are
# skipped, and apt-get is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libmpfr-dev libgmp-dev libboost-dev libyaml-cpp-dev
  libgtest-dev librapidcheck-dev libcli11-dev nlohmann-json3-dev libssl-dev
  # The Python adapters of nnconform check (adapters/python); the test suite checks SciPy's.
  # python3-torch (about 180 packages) is installed by scripts/check-peers.sh when it runs.
  python3-numpy python3-scipy python3-sklearn
  # impl/simd: Highway's runtime dispatch (libquadmath, for the correctly rounded tier, comes with GCC).
  libhwy-dev
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
