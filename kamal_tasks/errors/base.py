"""The base error class and the output tail every failure report shows."""

from __future__ import annotations

#: How many lines of a failed command's output a report shows.
TAIL_LINES = 10


class KamalError(Exception):
    """Base class: an error we report as a clean message and exit code 1."""


def tail(output: str, lines: int = TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of ``output`` (trailing whitespace dropped)."""
    return output.rstrip().splitlines()[-lines:]
