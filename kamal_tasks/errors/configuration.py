"""Errors in what the user gave us: the configuration, env files, settings, versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kamal_tasks.errors.base import KamalError


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
class NoMatch(KamalError):
    """A --hosts or --roles filter matched nothing."""

    option: str
    value: str

    def __str__(self) -> str:
        return f"No --{self.option} match for {self.value}"


@dataclass
class LoadingFailed(KamalError):
    """Loading the configuration raised an exception we did not expect: a bug of ours.

    Bad input is reported by the loader, the schema and the env parser with messages of their
    own; whatever gets past them is a bug, shown in one line that says so and how to see the
    traceback (``-v`` re-raises it).
    """

    config_file: str
    error: Exception

    def __str__(self) -> str:
        name = type(self.error).__name__
        if isinstance(self.error, OSError):  # this machine's problem, not a bug
            return f"Loading {self.config_file} failed: {name}: {self.error}"
        return (
            f"Loading {self.config_file} failed unexpectedly ({name}: {self.error}); this is a "
            "bug in kamal-tasks: please report it (run with -v for the traceback)"
        )


@dataclass
class UnknownAccessory(KamalError):
    """An accessory name that the configuration does not define."""

    name: str
    options: list[str]

    def __str__(self) -> str:
        return f"No accessory by the name of '{self.name}' (options: {' and '.join(self.options)})"


@dataclass
class ErbError(KamalError):
    """ERB in a configuration file that kamal-tasks cannot render."""

    source: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.problem}"


@dataclass
class InvalidVersion(KamalError):
    """A version that is not a valid Docker tag; ``source`` names where it came from."""

    source: str
    value: str

    def __str__(self) -> str:
        from kamal_tasks.configuration.version import TAG_PATTERN

        return (
            f"{self.source} {self.value!r} is not a valid Docker tag "
            f"(should match {TAG_PATTERN}: letters, digits, _ . -, at most 128)"
        )


class UnknownSection(KamalError, KeyError):
    """No documented section has this name."""

    def __init__(self, name: str, sections: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self.name = name
        self.sections = sections

    def __str__(self) -> str:
        return f"Unknown section '{self.name}' (sections: {', '.join(self.sections)})"


@dataclass
class InvalidSetting(KamalError):
    """An Invoke setting ``kamal.<name>`` with a value we cannot use."""

    name: str
    value: Any
    expected: str

    def __str__(self) -> str:
        return f"kamal.{self.name}: {self.expected}, got {self.value!r}"


@dataclass
class CommandSubstitutionFailed(KamalError):
    """A ``$(command)`` in an env file exited non-zero."""

    key: str
    command: str
    output: str
    where: str = ""

    def __str__(self) -> str:
        key = f"{self.key} ({self.where})" if self.where else self.key
        return f"Env {key}: command `{self.command}` failed:\n{self.output}".rstrip()


@dataclass
class EnvFileError(KamalError):
    """An env file that cannot be read: not UTF-8, or a line python-dotenv cannot parse."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass
class MultilineSecret(KamalError):
    """A secret whose value spans lines: Docker env files cannot hold it."""

    key: str

    def __str__(self) -> str:
        return (
            f"Secret {self.key} has a multi-line value, which Docker env files cannot hold "
            "(https://github.com/moby/moby/issues/12997)"
        )
