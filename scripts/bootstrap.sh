#!/usr/bin/env bash
# Shared setup for scripts/demo and scripts/test: the machine's Debian packages and Docker
# engine (scripts/setup-host.sh), then a virtualenv in .venv with kamal-tasks installed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  python3 -m venv .venv || {
    echo "bootstrap: python3 -m venv failed: installing Debian's python3-venv"
    apt-get install -y -qq python3-venv && python3 -m venv .venv
  }
fi
echo "bootstrap: installing kamal-tasks and its test dependencies into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
