"""Running the CLI in a test project, as a user would, with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without ``KAMAL_*``, ``INVOKE_*`` or ``VERSION``, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KAMAL_", "INVOKE_")) and key != "VERSION"
    }
    return {**env, **extra}


def kamal(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m kamal_tasks ARGS`` in ``cwd``, with ``env`` added to a clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "kamal_tasks", *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
