"""The app version to act on: ``--version``, else ``VERSION``, else the git SHA.

It becomes a Docker tag and part of container names, so it must be a valid tag:
``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`` (a dirty tree's ``<sha>_uncommitted_<hex>`` is one).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from pathlib import Path

from kamal_tasks.errors import InvalidVersion, KamalError

TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"


def checked_version(value: str, source: str) -> str:
    """``value`` if it is a valid Docker tag, else ``InvalidVersion`` naming ``source``."""
    if not re.fullmatch(TAG_PATTERN, value):
        raise InvalidVersion(source, value)
    return value


def git(*args: str, cwd: Path) -> str | None:
    """Output of a git command, or None when git fails or is absent."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def app_version(explicit: str | None, cwd: Path) -> str:
    """Resolve the version; a dirty git tree gets ``_uncommitted_<hex>`` appended.

    Raises ``InvalidVersion`` (naming ``--version``, ``VERSION`` or git) for a bad tag.
    """
    if explicit:
        return checked_version(explicit, "--version")
    if os.environ.get("VERSION"):
        return checked_version(os.environ["VERSION"], "VERSION")
    sha = git("rev-parse", "HEAD", cwd=cwd)
    if not sha:
        raise KamalError("Can't determine the version: pass --version or set VERSION")
    if git("status", "--porcelain", cwd=cwd):
        sha = f"{sha}_uncommitted_{secrets.token_hex(8)}"
    return checked_version(sha, "The git version")
