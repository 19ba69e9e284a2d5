#!/usr/bin/env bash
# Exhaustive binary32 sweeps of the unary activations for the built-in implementation, in
# shards that survive interruption, then merged into docs/sweeps/.
#
#   scripts/sweep-all.sh [--shards N] [--threads K] [--format F] [--impl I] [--dir DIR] [--work DIR] [FUNCTION...]
#
# Every shard runs `nnconform sweep FN --shard I/N --out WORK/FN/shard-I-of-N.json --resume`, so
# running the script again (after a reboot, a kill, a session's end) resumes each shard from its
# last completed chunk and skips finished ones. When every shard of a function is done, the
# shards are merged into DIR/FN.json and DIR/FN.txt (the report), and the table of all merged
# results is rewritten to DIR/table.md. DIR defaults to docs/sweeps/FORMAT (checked in), WORK
# to build/sweeps/FORMAT (the shards' files, not checked in). --impl picks another implementation
# (`nnconform sweep --impl`: simd, simd-cr, simd@AVX2, ...); its results go to
# docs/sweeps/FORMAT-IMPL and build/sweeps/FORMAT-IMPL. Long runs belong in the background:
#   nohup scripts/sweep-all.sh > sweep.log 2>&1 &
# The default function list is every unary activation of spec/activations (srelu needs its
# parameters and is left out).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nnc="${NNCONFORM:-$root/build/release/tools/nnconform}"
shards=4
threads=$(nproc)
format=binary32
impl=builtin
dir=""
work=""
funcs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --impl) impl="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -*) echo "sweep-all: unknown option $1" >&2; exit 2 ;;
    *) funcs+=("$1"); shift ;;
  esac
done
suffix=""
[ "$impl" = builtin ] || suffix="-$impl"
dir="${dir:-$root/docs/sweeps/$format$suffix}"
work="${work:-$root/build/sweeps/$format$suffix}"
[ -x "$nnc" ] || { echo "sweep-all: $nnc not built (scripts/build.sh, or set NNCONFORM)" >&2; exit 2; }
if [ ${#funcs[@]} -eq 0 ]; then
  funcs=(sigmoid tanh softplus logsigmoid silu swish mish elu selu gelu gelu_tanh
         relu relu6 leaky_relu prelu linear hardsigmoid hardswish)
fi
mkdir -p "$dir"
for fn in "${funcs[@]}"; do
  mkdir -p "$work/$fn"
  files=()
  for i in $(seq 1 "$shards"); do
    out="$work/$fn/shard-$i-of-$shards.json"
    files+=("$out")
    echo "== $(date -u +%FT%TZ) $fn shard $i/$shards"
    status=0
    "$nnc" sweep "$fn" --format "$format" --impl "$impl" --shard "$i/$shards" --threads "$threads" --out "$out" --resume --no-progress \
      > "$out.txt" || status=$?
    [ "$status" -le 1 ] || { echo "sweep-all: $fn shard $i/$shards failed (exit $status)" >&2; cat "$out.txt" >&2; exit "$status"; }
  done
  status=0
  "$nnc" sweep --merge "${files[@]}" --out "$dir/$fn.json" > "$dir/$fn.txt" || status=$?
  [ "$status" -le 1 ] || { echo "sweep-all: merging $fn failed" >&2; exit "$status"; }
  cat "$dir/$fn.txt"
done
merged=()
for f in "$dir"/*.json; do merged+=("$f"); done
"$nnc" sweep --table "${merged[@]}" > "$dir/table.md"
echo "== $(date -u +%FT%TZ) done: $dir/table.md"
