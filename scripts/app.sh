#!/usr/bin/env bash
# One command to set up and run the app: bash scripts/app.sh   (then open http://localhost:8501)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/serve.py "$@"
