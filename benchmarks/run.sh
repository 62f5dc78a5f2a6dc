#!/usr/bin/env bash
# Run twinnet's benchmarks with OpenBLAS choosing its own kernel: OPENBLAS_CORETYPE
# and OPENBLAS_L2_SIZE are removed from the environment (OpenBLAS reads them when
# NumPy is imported). The report prints which kernel and how many threads ran.
# Arguments go to `python -m benchmarks`, e.g. --only lecture_net --out /tmp/bench
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x "$root/.venv/bin/python" ]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
cd "$root"
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" \
  "$python" -m benchmarks "$@"
