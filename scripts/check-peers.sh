#!/usr/bin/env bash
# Checks the Python libraries as Debian ships them (NumPy/SciPy, scikit-learn, PyTorch) with
# the adapters of adapters/python, in binary32 and binary64, over every function they implement,
# and writes the reports under docs/conformance/ (Markdown, HTML, JUnit, results.json).
#
#   bash scripts/check-peers.sh            # all three
#   bash scripts/check-peers.sh scipy      # one of scipy, sklearn, torch
#
# Not part of the test run: it takes minutes, and its verdicts are findings about other
# people's libraries (nnconform check exits 1 for them), not failures of nnconform.
# Environment: NNCONFORM (the tool, default build/release/tools/nnconform), PYTHON (default
# /usr/bin/python3, Debian's, which sees the python3-* packages), OUT (default docs/conformance),
# VECTORS (default: the checked-in vectors/).
set -euo pipefail
cd "$(dirname "$0")/.."

nnc=${NNCONFORM:-build/release/tools/nnconform}
python=${PYTHON:-/usr/bin/python3}
out=${OUT:-docs/conformance}
[ -x "$nnc" ] || { echo "check-peers: $nnc is not built (bash scripts/build.sh, or set NNCONFORM)" >&2; exit 2; }
mkdir -p "$out"
vectors=()
[ -z "${VECTORS:-}" ] || vectors=(--vectors "$VECTORS")

# Installs a Debian package when its Python module is missing (as root or through sudo).
need() {
  local module=$1 package=$2
  "$python" -c "import $module" 2>/dev/null && return 0
  echo "check-peers: installing $package"
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  "$python" -c "import $module"
}

# check NAME ADAPTER PROFILE: one library, both formats, every function it implements.
check() {
  local name=$1 adapter=$2 profile=$3
  echo "== $name ($profile)"
  local status=0
  "$nnc" "${vectors[@]}" check --impl "cmd:$python adapters/python/$adapter" --format binary32 binary64 --profile "$profile" \
    --timeout 60 --out "$out/$name.json" --report-md "$out/$name.md" --report-html "$out/$name.html" \
    --junit "$out/$name.junit.xml" | tail -n 4 || status=$?
  # 1 is a verdict (findings); anything else means the check itself could not run.
  [ "$status" -le 1 ] || { echo "check-peers: $name: nnconform check exited with $status" >&2; exit "$status"; }
}

targets=("${@:-scipy sklearn torch}")
for t in ${targets[*]}; do
  case "$t" in
    scipy) need scipy python3-scipy && check scipy scipy_adapter.py strict ;;
    sklearn) need sklearn python3-sklearn && check sklearn sklearn_adapter.py framework:sklearn ;;
    torch) need torch python3-torch && check torch torch_adapter.py framework:pytorch ;;
    *) echo "check-peers: unknown target '$t' (scipy, sklearn, torch)" >&2; exit 2 ;;
  esac
done
echo "reports in $out/"
