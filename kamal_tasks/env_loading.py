"""Loading ``.kamal/.env[.<destination>]`` with python-dotenv plus command substitution.

python-dotenv parses the files; like Ruby's dotenv we then run ``$(command)`` and expand
``${VAR}``/``$VAR`` in every value that was not single-quoted. Values already in the process
environment win, as with ``dotenv`` loading.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kamal_tasks.errors import CommandSubstitutionFailed, EnvFileError, TimedOut

DEPRECATION_WARNING = (
    "Loading env from the project root .env files is deprecated: move them to .kamal/"
)

#: Seconds a ``$(command)`` may run before it is killed (``kamal.env_command_timeout``).
DEFAULT_ENV_COMMAND_TIMEOUT = 60.0

_VARIABLE = re.compile(r"(\\)?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class LoadedEnv:
    """Values read from env files, the files they came from and any warnings."""

    values: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: In a dry run: the ``$(command)``s that were not run (a placeholder stands in).
    not_run: list[str] = field(default_factory=list)


def env_files(root: Path, destination: str | None) -> tuple[list[Path], bool]:
    """The env files to read, and whether they came from the deprecated project root."""
    names = [".env"] + ([f".env.{destination}"] if destination else [])
    kamal = [root / ".kamal" / name for name in names if (root / ".kamal" / name).is_file()]
    if kamal:
        return kamal, False
    return [root / name for name in names if (root / name).is_file()], True


def load_env(
    root: Path,
    destination: str | None = None,
    *,
    timeout: float | None = DEFAULT_ENV_COMMAND_TIMEOUT,
    dry_run: bool = False,
    on_stop: Callable[[], str | None] | None = None,
) -> LoadedEnv:
    """Read the env files for ``destination`` (later files override earlier ones).

    Each ``$(command)`` may run ``timeout`` seconds (None: no limit). A dry run runs none:
    it notes them in ``not_run`` and substitutes ``placeholder(command)``. ``on_stop`` passes
    a stop request (SIGINT/SIGTERM) on to a running command (see ``local_process``).
    """
    files, from_root = env_files(root, destination)
    loaded = LoadedEnv(files=files)
    if from_root and files:
        loaded.warnings.append(DEPRECATION_WARNING)
    for path in files:
        source = str(path.relative_to(root))

        def run(command: str, cwd: Path | None, source: str = source) -> str:
            if dry_run:
                loaded.not_run.append(f"`{command}` (in {source})")
                return placeholder(command)
            return run_substitution(command, cwd, timeout, on_stop)

        text = read_env_file(path, source)
        loaded.values.update(
            parse_env_text(
                text, environ=loaded.values, cwd=root, run=run, source=source, timeout=timeout
            )
        )
    return loaded


def placeholder(command: str) -> str:
    """What a dry run uses for the output of a ``$(command)`` it does not run."""
    return f"[output of $({command})]"


def read_env_file(path: Path, source: str) -> str:
    """The file's text; raises ``EnvFileError`` naming it if unreadable or not UTF-8."""
    from kamal_tasks.configuration.loader import not_utf8

    try:
        data = path.read_bytes()
    except OSError as error:
        raise EnvFileError(source, f"can't read: {error.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EnvFileError(source, not_utf8(data, error.start)) from None


def parse_env_text(
    text: str,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    run: Callable[[str, Path | None], str] | None = None,
    *,
    source: str = ".env",
    timeout: float | None = DEFAULT_ENV_COMMAND_TIMEOUT,
) -> dict[str, str]:
    """Parse dotenv text, substituting commands and variables in order of definition.

    A line python-dotenv cannot parse (it would skip it silently) raises ``EnvFileError``
    naming ``source`` and the line; a command running past ``timeout`` raises ``TimedOut``.
    """
    import io

    from dotenv.parser import parse_stream

    from kamal_tasks.local_process import ProcessTimedOut

    run = run or (lambda command, cwd: run_substitution(command, cwd, timeout))
    known = dict(environ or {})
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        where = f"{source} line {_first_line(binding.original)}"
        if binding.error:
            raise EnvFileError(where, f"can't parse `{binding.original.string.strip()}`")
        if binding.key is None or binding.value is None:
            continue
        value = binding.value
        if not _single_quoted(binding.original.string):
            try:
                value = expand(binding.key, value, {**known, **values}, lambda c: run(c, cwd))
            except CommandSubstitutionFailed as error:
                error.where = where
                raise
            except ProcessTimedOut as error:
                what = f"Env {binding.key} ({where}): command `{error}`"
                raise TimedOut(what, timeout or 0, "kamal.env_command_timeout") from None
        values[binding.key] = value
    return values


def expand(key: str, value: str, known: Mapping[str, str], run: Callable[[str], str]) -> str:
    """Expand ``${VAR}``/``$VAR`` (process env first), then run each ``$(command)``.

    As in Ruby's dotenv: a command sees earlier values, and its output is not expanded again.
    """

    def variable(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        name = match.group(2) or match.group(3)
        return os.environ.get(name, known.get(name, ""))

    return _substitute_commands(key, _VARIABLE.sub(variable, value), run)


def _substitute_commands(key: str, value: str, run: Callable[[str], str]) -> str:
    out, index = [], 0
    while (start := value.find("$(", index)) != -1:
        end = _closing_paren(value, start + 2)
        if end == -1:
            break
        if start > 0 and value[start - 1] == "\\":
            out.append(value[index : start - 1] + value[start : end + 1])
            index = end + 1
            continue
        out.append(value[index:start])
        command = value[start + 2 : end]
        try:
            out.append(run(command))
        except subprocess.CalledProcessError as error:
            raise CommandSubstitutionFailed(key, command, error.output or "") from None
        index = end + 1
    out.append(value[index:])
    return "".join(out)


def _closing_paren(value: str, position: int) -> int:
    depth = 1
    for offset, char in enumerate(value[position:], position):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return offset
    return -1


def run_substitution(
    command: str,
    cwd: Path | None,
    timeout: float | None = DEFAULT_ENV_COMMAND_TIMEOUT,
    on_stop: Callable[[], str | None] | None = None,
) -> str:
    """Run ``command`` with ``sh -c`` and return its output without the final newline.

    Raises ``local_process.ProcessTimedOut`` (its group killed) after ``timeout`` seconds.
    """
    from kamal_tasks.local_process import run_process

    done = run_process(command, timeout=timeout, cwd=cwd, on_stop=on_stop)
    if done.exited != 0:
        raise subprocess.CalledProcessError(done.exited, command, done.stdout + done.stderr)
    return done.stdout.rstrip("\n")


def _first_line(original: Any) -> int:
    """The line a binding starts on (python-dotenv counts the blank lines before it in)."""
    text = original.string
    return int(original.line) + text[: len(text) - len(text.lstrip())].count("\n")


def _single_quoted(original: str) -> bool:
    _, _, rest = original.partition("=")
    return rest.lstrip().startswith("'")
