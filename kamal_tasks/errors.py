"""Error classes. Each carries its data; the message is built in ``__str__``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


class KamalError(Exception):
    """Base class: an error we report as a clean message and exit code 1."""


@dataclass
class ConfigurationError(KamalError):
    """The configuration is invalid; ``errors`` holds every problem found."""

    errors: Sequence[str]

    def __str__(self) -> str:
        return "\n".join(self.errors)


@dataclass
class MissingSecret(KamalError):
    """A secret named in the configuration has no value in the loaded env."""

    name: str

    def __str__(self) -> str:
        return f"Secret {self.name} is not set (add it to .kamal/.env or the environment)"


@dataclass
class HookFailed(KamalError):
    """A hook exited non-zero."""

    name: str
    output: str = ""

    def __str__(self) -> str:
        return f"Hook `{self.name}` failed:\n{self.output}".rstrip()


@dataclass
class LockHeld(KamalError):
    """The deploy lock is held by someone else."""

    details: str = ""

    def __str__(self) -> str:
        return f"Deploy lock found\n{self.details}".rstrip()


@dataclass
class NoMatch(KamalError):
    """A --hosts or --roles filter matched nothing."""

    option: str
    value: str

    def __str__(self) -> str:
        return f"No --{self.option} match for {self.value}"


@dataclass
class HostFailure:
    """One host's failure: the command, its exit status and the tail of its output."""

    host: str
    command: str
    exited: int | None
    output: str
    reason: str = ""

    def __str__(self) -> str:
        if self.exited is None:
            first, *rest = (self.reason or "failed").splitlines() or [""]
            lines = [f"  {self.host}: {first}", *(f"    {line}" for line in rest)]
            if self.command:
                lines.append(f"    (while running: {self.command})")
            return "\n".join(lines)
        tail = self.output.rstrip().splitlines()[-10:]
        lines = [f"  {self.host}: `{self.command}` exited {self.exited}"]
        return "\n".join([*lines, *(f"    {line}" for line in tail)])


@dataclass
class HostsFailed(KamalError):
    """One or more hosts failed a step; every host's thread had finished."""

    failures: list[HostFailure] = field(default_factory=list)

    @property
    def hosts(self) -> list[str]:
        return [failure.host for failure in self.failures]

    def __str__(self) -> str:
        header = f"Failed on {len(self.failures)} host(s): {', '.join(self.hosts)}"
        return "\n".join([header, *(str(failure) for failure in self.failures)])


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
