#!/usr/bin/env bash
# Set up .venv if needed, then run the whole test suite with pytest.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k lecture`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
