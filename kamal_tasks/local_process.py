"""Running a local shell command with a time limit, in a process group of its own.

On timeout (or when an exception interrupts the wait) the whole group is killed, so nothing
the command started keeps running or keeps its output pipe open. Being a group of its own, it
does not get the terminal's Ctrl-C: a stop request (``on_stop``) is passed on to it instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kamal_tasks.errors import ProcessTimedOut

#: After killing a group, how long to wait for its output to end before giving up on it.
DRAIN_SECONDS = 5
#: How often the wait looks for a stop request.
POLL_SECONDS = 0.1


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
    on_stop: Callable[[], str | None] | None = None,
) -> Finished:
    """Run ``sh -c command`` (no stdin); raise ``ProcessTimedOut`` after ``timeout`` seconds.

    ``on_stop()`` names a signal (``"SIGINT"``) once a stop was requested: that signal is then
    sent to the command's group, once, and the wait goes on (up to ``timeout``).
    """
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
        stdout, stderr = _wait(process, timeout, on_stop)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ProcessTimedOut(command) from None
    except BaseException:
        _kill_group(process)
        raise
    return Finished(process.returncode, stdout, stderr)


def _wait(
    process: subprocess.Popen[str], timeout: float | None, on_stop: Callable[[], str | None] | None
) -> tuple[str, str]:
    """``communicate``, waking up every ``POLL_SECONDS`` to pass a stop request on."""
    if on_stop is None:
        return process.communicate(timeout=timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    forwarded = False
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        step = POLL_SECONDS if left is None else max(min(POLL_SECONDS, left), 0)
        try:
            return process.communicate(timeout=step)
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                raise
        if forwarded and process.poll() is not None:
            # Stopped, and it has ended: what it left behind (holding its output open) goes.
            _signal_group(process, signal.SIGKILL)
            return process.communicate(timeout=DRAIN_SECONDS)
        name = on_stop() if not forwarded else None
        if name and name in signal.Signals.__members__:
            forwarded = True
            _signal_group(process, signal.Signals[name])


def _signal_group(process: subprocess.Popen[str], number: signal.Signals) -> None:
    try:
        os.killpg(process.pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(process: subprocess.Popen[str]) -> None:
    _signal_group(process, signal.SIGKILL)
    try:
        process.communicate(timeout=DRAIN_SECONDS)
    except (subprocess.TimeoutExpired, ValueError):
        pass
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    process.wait()
