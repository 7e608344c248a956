#!/usr/bin/env bash
# Evidently lives in its own virtual environment: it needs pandas<3, govern does not.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-evidently
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "evidently==0.7.15" "pandas<3" "pyarrow"
fi
"$VENV/bin/python" -c "import evidently; print('evidently', evidently.__version__)"
