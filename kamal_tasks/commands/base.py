"""Shell building blocks shared by every command builder.

One quoting mechanism for every command: builders pass **values** (config values, flags,
versions, paths, remote output) as plain ``str``/``int`` words, and ``join``/``word`` quote
each one: a word of only ``[A-Za-z0-9_@%+=:,./-]`` stays bare (so plain values keep Kamal's
byte shapes), any other is single-quoted. Shell **syntax** the builder means (``&&``, ``|``,
``2>&1``, ``$(pwd)``, a glob, a loop) must be marked ``Raw``; everything the helpers here
return is ``Raw``. ``combine``/``pipe``/``chain``/``any_of`` refuse an unmarked ``str``, and
an f-string loses the mark, so shell text mixed with a value by hand is either quoted whole
(never run) or refused, but never executed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kamal_tasks.errors import BadCommandLine
from kamal_tasks.scalars import text

if TYPE_CHECKING:
    from kamal_tasks.configuration.logging import Logging

_DOUBLE_QUOTE_SPECIALS = re.compile(r'([\\"$`])')
_SAFE_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


class Raw(str):
    """Shell text used as is (operators, redirections, ``$(pwd)``, intended globs).

    Only literals written in the builders, or text the helpers here built, are ``Raw``;
    never wrap a value in it.
    """

    __slots__ = ()


def quote(value: Any) -> Raw:
    """Double-quote ``value`` so it reaches the program byte-exact through ``sh -c``.

    Inside double quotes only ``\\ " $ `` ` keep a special meaning; each gets a backslash.
    """
    return Raw('"' + _DOUBLE_QUOTE_SPECIALS.sub(r"\\\1", text(value)) + '"')


def single_quote(value: Any) -> Raw:
    """Single-quote ``value`` for the shell (a ``'`` becomes ``'\\''``)."""
    return Raw("'" + text(value).replace("'", "'\\''") + "'")


def shell_word(value: Any) -> Raw:
    """``value`` as exactly one shell word: bare when every character is safe, else
    single-quoted (``Raw`` is returned as is)."""
    if isinstance(value, Raw):
        return value
    value = text(value)
    return Raw(value) if _SAFE_WORD.fullmatch(value) else single_quote(value)


def word(*pieces: Any) -> Raw:
    """Pieces glued with no space: ``Raw`` ones as is, values quoted (``word(Raw("$(pwd)/"),
    path)``); ``None`` pieces are skipped."""
    return Raw("".join(shell_word(piece) for piece in pieces if piece is not None))


def double_quoted(*pieces: Any) -> Raw:
    """One double-quoted word from pieces: ``Raw`` ones as is (``$(...)`` still expands),
    values with ``\\ " $ `` ` escaped."""
    inner = "".join(
        piece if isinstance(piece, Raw) else _DOUBLE_QUOTE_SPECIALS.sub(r"\\\1", text(piece))
        for piece in pieces
    )
    return Raw(f'"{inner}"')


_VARIABLE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")


def with_variables(value: Any) -> Raw:
    """``value`` double-quoted, leaving plain ``$NAME``/``${NAME}`` to expand in the shell
    (``builder.ssh: default=$SSH_AUTH_SOCK``, as Kamal documents it); ``$(...)``, backticks
    and every other ``$`` stay literal."""
    value, pieces, start = text(value), [], 0
    for variable in _VARIABLE.finditer(value):
        pieces += [value[start : variable.start()], Raw(variable.group())]
        start = variable.end()
    return double_quoted(*pieces, value[start:])


def command_words(command: str | None, what: str = "command") -> list[Raw]:
    """A command line (``cmd``, ``exec COMMAND``) split into words as a POSIX shell splits
    them: quotes and backslashes honoured, nothing expanded or run.

    The words are then quoted one by one, so the program gets the argv the line spells
    (``sh -c 'a && b'`` stays three words) and operators or ``$(...)`` in it never run on the
    host (an empty word, ``''``, stays one). ``BadCommandLine`` (naming ``what``) for an
    unterminated quote.
    """
    if not command:
        return []
    try:
        return [shell_word(word) for word in shlex.split(command)]
    except ValueError as error:
        raise BadCommandLine(what, command, str(error).lower()) from None


def _pairs(mapping: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Iterable[tuple[str, Any]]:
    return mapping.items() if isinstance(mapping, Mapping) else mapping


def argumentize(flag: str, mapping: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Raw:
    """``--flag key="value"`` per item; a ``None`` value gives ``--flag key``.

    The key is one quoted word (bare when plain), the value double-quoted, as Kamal writes it.
    """
    return join(
        [flag, key if value is None else word(key, "=", quote(value))]
        for key, value in _pairs(mapping)
    )


def optionize(mapping: Mapping[str, Any], separator: str = " ") -> Raw:
    """``--key "value"`` per item (``--key="value"`` with ``separator="="``).

    ``None``/``True`` give a bare ``--key``; a list repeats the option once per value. The
    ``--key`` is one quoted word (bare when plain).
    """
    options: list[Raw] = []
    for key, value in mapping.items():
        option = f"--{text(key)}"
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None or item is True:
                options.append(shell_word(option))
            elif separator == "=":
                options.append(word(option, "=", quote(item)))
            else:
                options.append(join(option, quote(item)))
    return join(options)


def _flatten(parts: Iterable[Any]) -> Iterable[Raw]:
    for part in parts:
        if isinstance(part, list | tuple) or (
            not isinstance(part, str | bytes) and isinstance(part, Iterable)
        ):
            yield from _flatten(part)
        elif part is not None and part != "":
            yield shell_word(part)


def join(*parts: Any) -> Raw:
    """Words joined by one space: each value quoted as one word, ``Raw`` parts as is; lists
    and tuples flattened; ``None`` and ``""`` dropped."""
    return Raw(" ".join(_flatten(parts)))


def _commands(commands: Iterable[str | None]) -> list[Raw]:
    present = [command for command in commands if command]
    for command in present:
        if not isinstance(command, Raw):
            raise TypeError(f"not a built command (mark literal shell text Raw): {command!r}")
    return present  # type: ignore[return-value]


def combine(*commands: str | None, by: str = "&&") -> Raw:
    """Join built commands with `` && `` (or ``by``), skipping empty ones.

    A plain ``str`` is refused (``TypeError``): commands come from ``join``/``docker``/...,
    or are literals marked ``Raw``.
    """
    return Raw(f" {by} ".join(_commands(commands)))


def chain(*commands: str | None) -> Raw:
    """Join commands with `` ; ``: run each whatever the previous one did."""
    return combine(*commands, by=";")


def pipe(*commands: str | None) -> Raw:
    """Join commands with `` | ``."""
    return combine(*commands, by="|")


def any_of(*commands: str | None) -> Raw:
    """Join commands with `` || ``: the first that succeeds wins."""
    return combine(*commands, by="||")


def subshell(command: str) -> Raw:
    """``(command)``: a built command grouped in a subshell."""
    return Raw(f"({_commands([command])[0]})")


def substitution(command: str) -> Raw:
    """``$(command)``: the output of a built command, spliced in by the shell."""
    return Raw(f"$({_commands([command])[0]})")


def volume_mapping(host_path: str, *rest: Any) -> Raw:
    """One ``--volume`` word: a relative host path under ``$(pwd)/`` (Docker wants absolute
    ones), an absolute one as it is; ``rest`` (``":"``, the container path) quoted with it."""
    prefix = None if host_path.startswith("/") else Raw("$(pwd)/")
    return word(prefix, "".join([host_path, *(text(part) for part in rest)]))


def docker(*args: Any) -> Raw:
    """``docker`` followed by ``args`` (joined as ``join`` does)."""
    return join("docker", *args)


def xargs(command: str) -> Raw:
    """``xargs command``: run the built ``command`` with the ids read from the pipe."""
    return join("xargs", _commands([command])[0])


def make_directory(*paths: str) -> Raw:
    """``mkdir -p path…``."""
    return join("mkdir", "-p", paths)


def logging_args(logging: Logging) -> Raw:
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


def grep_filter(grep: str | None, grep_options: str | None = None) -> Raw | None:
    """``grep PATTERN [OPTIONS]`` to pipe logs through, when a pattern is given (the options
    are a command line, split into words)."""
    if not grep:
        return None
    return join("grep", quote(grep), command_words(grep_options, "--grep-options"))


def container_logs(
    name: str,
    *,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
    follow: bool = False,
) -> Raw:
    """``docker logs NAME`` with timestamps (``--since``, ``--tail``, ``--follow``, grep)."""
    return pipe(
        docker(
            "logs", name, *logs_options(since, lines), "--timestamps",
            "--follow" if follow else None, Raw("2>&1"),
        ),
        grep_filter(grep, grep_options),
    )  # fmt: skip
