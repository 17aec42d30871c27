"""Progress output: whole lines, prefixed per host, safe to call from many threads.

On a terminal, lines are coloured: each host's ``[HOST]`` prefix in a colour of its own,
steps bold, commands dim, warnings yellow, errors red. Nothing is coloured when the stream is
not a terminal (piped, redirected) or when ``NO_COLOR`` is set (https://no-color.org).
"""

from __future__ import annotations

import os
import sys
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

VERBOSE, NORMAL, QUIET = 2, 1, 0

#: SGR codes: one per host (picked from its name, the same every run), one per level.
HOST_COLORS = ("36", "35", "32", "34", "33", "96", "95", "92", "94", "93")
STEP, DIM, WARNING, ERROR = "1", "2", "33", "31"


def host_color(host: str) -> str:
    """The SGR colour code of ``host``'s prefix (stable across runs)."""
    return HOST_COLORS[zlib.crc32(host.encode()) % len(HOST_COLORS)]


def wants_color(stream: TextIO) -> bool:
    """Colour for a terminal, unless ``NO_COLOR`` is set (to anything) or TERM is dumb."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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
    ``color`` forces colour on or off (default: per stream, see ``wants_color``).
    """

    level: int = NORMAL
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    errors: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool | None = None
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

    def _colored(self, stream: TextIO) -> bool:
        return self.color if self.color is not None else wants_color(stream)

    def _paint(self, stream: TextIO, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if text and self._colored(stream) else text

    def _host(self, stream: TextIO, host: str) -> str:
        return self._paint(stream, host_color(host), f"[{host}]")

    def info(self, message: str) -> None:
        """A step of the flow (normal and verbose)."""
        if self.level >= NORMAL:
            self._write(self.errors, self._paint(self.errors, STEP, message))

    def host(self, host: str, message: str) -> None:
        """A line about one host (normal and verbose)."""
        if self.level >= NORMAL:
            self._write(self.errors, f"  {self._host(self.errors, host)} {message}")

    def command(self, host: str, command: str) -> None:
        """A command about to run (verbose only)."""
        if self.level >= VERBOSE:
            dimmed = self._paint(self.errors, DIM, f"$ {command}")
            self._write(self.errors, f"  {self._host(self.errors, host)} {dimmed}")

    def command_output(self, host: str, text: str) -> None:
        """A command's output, each line prefixed (verbose only)."""
        if self.level >= VERBOSE and text.strip():
            prefix = self._host(self.errors, host)
            lines = (f"  {prefix}   {line}" for line in text.splitlines())
            self._write(self.errors, "\n".join(lines))

    def plan(self, host: str, command: str) -> None:
        """A dry-run line: always printed, exactly ``[HOST] COMMAND`` (host coloured on a
        terminal)."""
        self._write(self.stream, f"{self._host(self.stream, host)} {command}")

    def result(self, text: str) -> None:
        """Output the user asked for (status, details, config): printed even when quiet."""
        self._write(self.stream, text)

    def timings(self, title: str, seconds: Mapping[str, float] | None) -> None:
        """One line of per-host durations: ``TITLE: [h1] 4.2s, [h2] 3.9s`` (normal, verbose)."""
        if self.level >= NORMAL and seconds:
            parts = (f"{self._host(self.errors, h)} {s:.1f}s" for h, s in seconds.items())
            self._write(self.errors, f"{title}: {', '.join(parts)}")

    def warning(self, message: str) -> None:
        """A warning, on stderr unless quiet."""
        if self.level >= NORMAL:
            self._write(self.errors, self._paint(self.errors, WARNING, f"WARNING: {message}"))

    def error(self, message: str) -> None:
        """An error, always shown, on stderr."""
        self._write(self.errors, self._paint(self.errors, ERROR, message))


def _silence(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at /dev/null, so the flush at exit stays quiet."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
