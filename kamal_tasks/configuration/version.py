"""The app version to act on: ``--version``, else ``VERSION``, else the git SHA."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from kamal_tasks.errors import KamalError


def git(*args: str, cwd: Path) -> str | None:
    """Output of a git command, or None when git fails or is absent."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def app_version(explicit: str | None, cwd: Path) -> str:
    """Resolve the version; a dirty git tree gets ``_uncommitted_<hex>`` appended."""
    if explicit:
        return explicit
    if os.environ.get("VERSION"):
        return os.environ["VERSION"]
    sha = git("rev-parse", "HEAD", cwd=cwd)
    if not sha:
        raise KamalError("Can't determine the version: pass --version or set VERSION")
    if git("status", "--porcelain", cwd=cwd):
        return f"{sha}_uncommitted_{secrets.token_hex(8)}"
    return sha
