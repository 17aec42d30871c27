"""Asking before destructive tasks: on a terminal a question, without one ``--yes``."""

from __future__ import annotations

import sys
from typing import TextIO

from kamal_tasks.errors import NotConfirmed


def confirm(
    task: str,
    question: str,
    *,
    yes: bool = False,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> None:
    """Return when confirmed: ``yes`` given, or ``y``/``yes`` typed on the terminal.

    The question goes to stderr (never mixed into results on stdout); the answer is read from
    stdin, which must be a terminal. Raises ``NotConfirmed`` otherwise.
    """
    if yes:
        return
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    if stdin is None or not stdin.isatty():
        raise NotConfirmed(task, terminal=False)
    stderr.write(f"{question} [y/N] ")
    stderr.flush()
    answer = stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise NotConfirmed(task, terminal=True)
