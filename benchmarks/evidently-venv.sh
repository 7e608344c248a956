#!/usr/bin/env bash
# Evidently lives in its own virtual environment: it needs pandas<3, govern does not.
# Creates .venv-evidently at the repository root on first use (or repairs a broken one).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-evidently
if ! "$VENV/bin/python" -c "import evidently" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "evidently==0.7.15" "pandas<3" "pyarrow"
fi
"$VENV/bin/python" -c "import evidently; print('evidently', evidently.__version__)"
