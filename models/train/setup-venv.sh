#!/usr/bin/env bash
# Creates the pinned Python environment of models/train/finetune.py at
# ${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}/venv-train (torch 2.4.1 and its CUDA wheels from
# PyPI, ~3 GB; once, about 2 minutes here). Idempotent: recreated only when
# models/train/requirements-finetune.txt or the interpreter changes. Needs python3.11 (or $PYTHON).
# Not part of `make test`: only retraining needs it.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${BRANDPULSE_CACHE:-$HOME/.cache/brandpulse}"
venv="$cache/venv-train"
req="$repo_root/models/train/requirements-finetune.txt"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || { echo "setup-venv: $python not found (set PYTHON)" >&2; exit 1; }
key="$(cat "$req" <("$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && "$(cat "$venv/.requirements.sha256" 2>/dev/null)" == "$key" ]]; then
    echo "setup-venv: up to date ($venv)" >&2
    exit 0
fi
echo "setup-venv: creating $venv (torch 2.4.1 + CUDA wheels, ~3 GB)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$req" >&2
echo "$key" >"$venv/.requirements.sha256"
echo "setup-venv: done ($venv)" >&2
