"""Shell building blocks shared by every command builder."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kamal_tasks.configuration.sections import Logging

_DOUBLE_QUOTE_SPECIALS = re.compile(r'([\\"$`])')


def text(value: Any) -> str:
    """A config value as the text Docker should see (``True`` -> ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def quote(value: Any) -> str:
    """Double-quote ``value`` so it reaches the program byte-exact through ``sh -c``.

    Inside double quotes only ``\\ " $ `` ` keep a special meaning; each gets a backslash.
    """
    return '"' + _DOUBLE_QUOTE_SPECIALS.sub(r"\\\1", text(value)) + '"'


def single_quote(value: Any) -> str:
    """Single-quote ``value`` for the shell (a ``'`` becomes ``'\\''``)."""
    return "'" + text(value).replace("'", "'\\''") + "'"


def _pairs(mapping: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Iterable[tuple[str, Any]]:
    return mapping.items() if isinstance(mapping, Mapping) else mapping


def argumentize(flag: str, mapping: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """``--flag key="value"`` per item; a ``None`` value gives ``--flag key``."""
    return join(
        [flag, key if value is None else f"{key}={quote(value)}"] for key, value in _pairs(mapping)
    )


def optionize(mapping: Mapping[str, Any], separator: str = " ") -> str:
    """``--key "value"`` per item (``--key="value"`` with ``separator="="``).

    ``None``/``True`` give a bare ``--key``; a list repeats the option once per value.
    """
    options: list[str] = []
    for key, value in mapping.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None or item is True:
                options.append(f"--{key}")
            else:
                options.append(f"--{key}{separator}{quote(item)}")
    return join(options)


def _flatten(parts: Iterable[Any]) -> Iterable[str]:
    for part in parts:
        if isinstance(part, list | tuple) or (
            not isinstance(part, str | bytes) and isinstance(part, Iterable)
        ):
            yield from _flatten(part)
        elif part is not None and part != "":
            yield text(part)


def join(*parts: Any) -> str:
    """Join words with one space, flattening lists/tuples and dropping ``None`` and ``""``."""
    return " ".join(_flatten(parts))


def combine(*commands: str | None, by: str = "&&") -> str:
    """Join commands with `` && `` (or ``by``), skipping empty ones."""
    return f" {by} ".join(command for command in commands if command)


def chain(*commands: str | None) -> str:
    """Join commands with `` ; ``: run each whatever the previous one did."""
    return combine(*commands, by=";")


def pipe(*commands: str | None) -> str:
    """Join commands with `` | ``."""
    return combine(*commands, by="|")


def any_of(*commands: str | None) -> str:
    """Join commands with `` || ``: the first that succeeds wins."""
    return combine(*commands, by="||")


def docker(*args: Any) -> str:
    """``docker`` followed by ``args`` (joined as ``join`` does)."""
    return join("docker", *args)


def xargs(command: str) -> str:
    """``xargs command``: run ``command`` with the ids read from the pipe."""
    return f"xargs {command}"


def make_directory(*paths: str) -> str:
    """``mkdir -p path…``."""
    return join("mkdir", "-p", paths)


def logging_args(logging: Logging) -> str:
    """``--log-driver "x"`` when a driver is set, then ``--log-opt key="value"`` per option."""
    return join(
        optionize({"log-driver": logging.driver}) if logging.driver else None,
        argumentize("--log-opt", logging.options),
    )


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (``2024-01-01T00:00:00Z``); naive times are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def logs_options(since: str | None, lines: int | None) -> list[Any]:
    """``--since``/``--tail`` options of ``docker logs`` (absent ones dropped)."""
    return [
        ["--since", quote(since)] if since else None,
        ["--tail", lines] if lines is not None else None,
    ]


def grep_filter(grep: str | None, grep_options: str | None = None) -> str | None:
    """``grep PATTERN [OPTIONS]`` to pipe logs through, when a pattern is given."""
    return join("grep", quote(grep), grep_options) if grep else None


def container_logs(
    name: str,
    *,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
    follow: bool = False,
) -> str:
    """``docker logs NAME`` with timestamps (``--since``, ``--tail``, ``--follow``, grep)."""
    return pipe(
        docker(
            "logs", name, *logs_options(since, lines), "--timestamps",
            "--follow" if follow else None, "2>&1",
        ),
        grep_filter(grep, grep_options),
    )  # fmt: skip
