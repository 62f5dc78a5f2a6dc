#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv and install
# twinnet in editable mode with its test tools. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.twinnet-setup
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing twinnet and its dependencies into .venv (log: .venv/setup.log)" >&2
  if ! { .venv/bin/python -m pip install --upgrade pip &&
         .venv/bin/python -m pip install -c constraints.txt -e '.[test,dev]'; } \
       >.venv/setup.log 2>&1; then
    tail -40 .venv/setup.log >&2
    echo "setup: pip install failed (full log: .venv/setup.log)" >&2
    exit 1
  fi
  touch "$stamp"
fi
