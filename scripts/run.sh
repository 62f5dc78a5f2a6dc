#!/usr/bin/env bash
# Set up .venv if needed, then run twinnet's main job: the lecture's worked
# example and random cases, scratch against torch. Arguments go to `twinnet`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/twinnet "$@"
