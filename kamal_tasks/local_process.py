"""Running a local shell command with a time limit, in a process group of its own.

On timeout (or when we are interrupted while waiting) the whole group is killed, so nothing
the command started keeps running or keeps its output pipe open.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: After killing a group, how long to wait for its output to end before giving up on it.
DRAIN_SECONDS = 5


class ProcessTimedOut(Exception):
    """The command ran past ``timeout`` seconds; its process group was killed."""


@dataclass(frozen=True)
class Finished:
    """A finished command's exit status and output."""

    exited: int
    stdout: str
    stderr: str


def run_process(
    command: str,
    *,
    timeout: float | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Finished:
    """Run ``sh -c command`` (no stdin); raise ``ProcessTimedOut`` after ``timeout`` seconds."""
    process = subprocess.Popen(
        ["sh", "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        process_group=0,
        text=True,
        errors="replace",
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ProcessTimedOut(command) from None
    except BaseException:
        _kill_group(process)
        raise
    return Finished(process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=DRAIN_SECONDS)
    except (subprocess.TimeoutExpired, ValueError):
        pass
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    process.wait()
