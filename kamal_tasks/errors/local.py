"""Errors on this machine: hooks, local processes, prompts, task arguments and files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kamal_tasks.errors.base import KamalError


@dataclass
class HookFailed(KamalError):
    """A hook exited non-zero."""

    name: str
    output: str = ""

    def __str__(self) -> str:
        return f"Hook `{self.name}` failed:\n{self.output}".rstrip()


@dataclass
class HookNotExecutable(KamalError):
    """A hook file exists but lacks its execute bit (Kamal would run it and fail)."""

    name: str
    path: Path

    def __str__(self) -> str:
        from kamal_tasks.hooks import shell_path

        return f"Hook {self.name} is not executable: chmod +x {shell_path(self.path)}"


@dataclass
class TimedOut(KamalError):
    """A local command (a hook, a ``$(cmd)`` in an env file) ran past its time limit."""

    what: str
    seconds: float
    setting: str

    def __str__(self) -> str:
        return (
            f"{self.what} timed out after {self.seconds:g} s and was killed with every process "
            f"it started (the limit is the Invoke setting {self.setting})"
        )


class ProcessTimedOut(Exception):
    """The command ran past ``timeout`` seconds; its process group was killed."""


@dataclass
class NotConfirmed(KamalError):
    """A destructive task was not confirmed (answered no, or no terminal and no ``--yes``)."""

    task: str
    terminal: bool

    def __str__(self) -> str:
        if self.terminal:
            return f"{self.task}: not confirmed, nothing done"
        return f"{self.task}: no terminal to ask on; pass --yes (-y) to confirm"


@dataclass
class AliasError(KamalError):
    """An alias's command line does not start with a built-in task."""

    command: str

    def __str__(self) -> str:
        return f"`{self.command}` should start with a task (e.g. app.exec, or Kamal's app exec)"


@dataclass
class FlagAsValue(KamalError):
    """A positional argument got a value that looks like a flag (a typo'd or unknown one)."""

    task: str
    argument: str
    value: str

    def __str__(self) -> str:
        return (
            f"{self.task}: {self.argument.upper()} may not start with '-' (got {self.value!r}); "
            f"see `inv --help {self.task}` for its flags"
        )


@dataclass
class BadCommandLine(KamalError):
    """A command line that cannot be split into words (an unterminated quote)."""

    what: str
    command: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: can't split {self.command!r} into words ({self.reason})"


@dataclass
class AccessoryFileUnreadable(KamalError):
    """A file listed in an accessory's ``files`` cannot be read as text on this machine."""

    accessory: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"accessories/{self.accessory}/files: {self.path}: {self.problem}"
