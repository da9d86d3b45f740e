#!/usr/bin/env bash
# One command to set up and run every test (unit, AppTest pages, real browser):
#   bash scripts/test.sh            extra pytest arguments are passed through
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
