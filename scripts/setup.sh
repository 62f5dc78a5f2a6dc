#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv and install
# twinnet in editable mode with its test tools. Safe to run repeatedly.
#
# The first install (torch, matplotlib, ... about a minute) shows pip's own
# output and progress bars, so a new user sees that something is happening.
# A refresh (pyproject.toml or constraints.txt changed) is quiet unless it
# fails; its log stays in .venv/setup.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
first_run=0
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  first_run=1
fi
stamp=.venv/.twinnet-setup
install() {
  .venv/bin/python -m pip install --upgrade pip &&
    .venv/bin/python -m pip install -c constraints.txt -e '.[test,dev]'
}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  if [ "$first_run" = 1 ] || [ ! -f "$stamp" ]; then
    echo "setup: first run: installing twinnet and its dependencies into .venv" \
         "(about a minute; pip shows its progress below)" >&2
    install >&2
  else
    echo "setup: pyproject.toml or constraints.txt changed: refreshing .venv" \
         "(log: .venv/setup.log)" >&2
    if ! install >.venv/setup.log 2>&1; then
      tail -40 .venv/setup.log >&2
      echo "setup: pip install failed (full log: .venv/setup.log)" >&2
      exit 1
    fi
  fi
  touch "$stamp"
fi
