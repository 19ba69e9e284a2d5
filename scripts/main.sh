#!/usr/bin/env bash
# The main job: install dependencies, build, verify the golden vectors (manifest, and a seeded
# sample regenerated bit for bit), check the built-in implementation against all of them
# (the conformance report), and show the reference at hard points.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
nnc=build/release/tools/nnconform
echo "== nnconform list"
"$nnc" list
echo
echo "== correctly rounded references at hard points"
run() { echo "\$ nnconform eval $*"; "$nnc" eval "$@"; }
run sigmoid --format binary32 x=-100
run softplus --format binary64 x=36.7
run log_softmax --format binary64 z=0,-1e4
run kl_divergence --format binary32 p=0.5,0.5,0 q=0.25,0.75,0
echo
echo "== nnconform verify (vectors/ against its MANIFEST; a seeded sample regenerated)"
"$nnc" verify
echo
echo "== nnconform check --impl builtin (every golden vector, every function and format)"
"$nnc" check --impl builtin
