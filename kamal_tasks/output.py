"""Progress output: whole lines, prefixed per host, safe to call from many threads."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from typing import TextIO

VERBOSE, NORMAL, QUIET = 2, 1, 0

#: The exit status of a command whose output pipe closed (128 + SIGPIPE), as ``yes | head``.
CLOSED_PIPE_EXIT = 141


class OutputClosed(BaseException):  # noqa: N818 - a stop, like KeyboardInterrupt
    """Whoever read our output went away (``inv deploy --dry-run | head -1``): stop quietly.

    A ``BaseException``, like ``KeyboardInterrupt``: it is no host's failure, so per-host
    error collection lets it through, while ``finally`` blocks (the lock release) still run.
    """


@dataclass
class Output:
    """Prints at a verbosity level: quiet shows only errors, verbose every command.

    Progress goes to stderr; what the user asked for (results, dry-run plans) to stdout, so
    ``inv config > effective.yml`` or ``inv deploy --dry-run > plan.txt`` stay clean.
    """

    level: int = NORMAL
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    errors: TextIO = field(default_factory=lambda: sys.stderr)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _closed: set[int] = field(default_factory=set, repr=False)

    def _write(self, stream: TextIO, text: str) -> None:
        with self._lock:
            if id(stream) in self._closed:
                return
            try:
                stream.write(text.rstrip("\n") + "\n")
                stream.flush()
            except BrokenPipeError:
                self._closed.add(id(stream))
                _silence(stream)
                raise OutputClosed() from None

    def info(self, message: str) -> None:
        """A step of the flow (normal and verbose)."""
        if self.level >= NORMAL:
            self._write(self.errors, message)

    def host(self, host: str, message: str) -> None:
        """A line about one host (normal and verbose)."""
        if self.level >= NORMAL:
            self._write(self.errors, f"  [{host}] {message}")

    def command(self, host: str, command: str) -> None:
        """A command about to run (verbose only)."""
        if self.level >= VERBOSE:
            self._write(self.errors, f"  [{host}] $ {command}")

    def command_output(self, host: str, text: str) -> None:
        """A command's output, each line prefixed (verbose only)."""
        if self.level >= VERBOSE and text.strip():
            lines = (f"  [{host}]   {line}" for line in text.splitlines())
            self._write(self.errors, "\n".join(lines))

    def plan(self, host: str, command: str) -> None:
        """A dry-run line: always printed, exactly ``[HOST] COMMAND``."""
        self._write(self.stream, f"[{host}] {command}")

    def result(self, text: str) -> None:
        """Output the user asked for (status, details, config): printed even when quiet."""
        self._write(self.stream, text)

    def warning(self, message: str) -> None:
        """A warning, on stderr unless quiet."""
        if self.level >= NORMAL:
            self._write(self.errors, f"WARNING: {message}")

    def error(self, message: str) -> None:
        """An error, always shown, on stderr."""
        self._write(self.errors, message)


def _silence(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at /dev/null, so the flush at exit stays quiet."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
