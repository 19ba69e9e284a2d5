#!/usr/bin/env bash
# Regenerates reference/src/fast_poly.inc (the fast reference path's polynomial coefficients,
# tables and Sollya-certified error bounds) from reference/src/fast_poly.sollya.
#
# Sollya is an offline tool here, not a build dependency: the output is checked in beside the
# kernels. Install it with `apt-get install sollya` (Debian). Takes a few minutes (the
# supnorm certificates). With --check, fails if the checked-in file differs from a fresh run.
set -euo pipefail
cd "$(dirname "$0")/../reference/src"
command -v sollya >/dev/null || { echo "sweep-derive-polys: sollya not found (apt-get install sollya)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sollya fast_poly.sollya > "$tmp"
# Sollya exits 0 on most script errors: refuse an output without its closing brace.
grep -q '^}  // namespace nnconform::ref::fast::poly' "$tmp" || { echo "sweep-derive-polys: sollya failed:" >&2; cat "$tmp" >&2; exit 1; }
if [ "${1:-}" = "--check" ]; then
  diff -u fast_poly.inc "$tmp" && echo "sweep-derive-polys: fast_poly.inc is up to date"
else
  mv "$tmp" fast_poly.inc
  trap - EXIT
  echo "sweep-derive-polys: wrote reference/src/fast_poly.inc"
fi
