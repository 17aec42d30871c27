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

from kamal_tasks.errors import KamalError

DEPRECATION_WARNING = (
    "Loading env from the project root .env files is deprecated: move them to .kamal/"
)

_VARIABLE = re.compile(r"(\\)?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class CommandSubstitutionFailed(KamalError):
    """A ``$(command)`` in an env file exited non-zero."""

    key: str
    command: str
    output: str

    def __str__(self) -> str:
        return f"Env {self.key}: command `{self.command}` failed:\n{self.output}".rstrip()


@dataclass
class LoadedEnv:
    """Values read from env files, the files they came from and any warnings."""

    values: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def env_files(root: Path, destination: str | None) -> tuple[list[Path], bool]:
    """The env files to read, and whether they came from the deprecated project root."""
    names = [".env"] + ([f".env.{destination}"] if destination else [])
    kamal = [root / ".kamal" / name for name in names if (root / ".kamal" / name).is_file()]
    if kamal:
        return kamal, False
    return [root / name for name in names if (root / name).is_file()], True


def load_env(root: Path, destination: str | None = None) -> LoadedEnv:
    """Read the env files for ``destination`` (later files override earlier ones)."""
    files, from_root = env_files(root, destination)
    loaded = LoadedEnv(files=files)
    if from_root and files:
        loaded.warnings.append(DEPRECATION_WARNING)
    for path in files:
        loaded.values.update(parse_env_text(path.read_text(), environ=loaded.values, cwd=root))
    return loaded


def parse_env_text(
    text: str,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    run: Callable[[str, Path | None], str] | None = None,
) -> dict[str, str]:
    """Parse dotenv text, substituting commands and variables in order of definition."""
    import io

    from dotenv.parser import parse_stream

    run = run or run_substitution
    known = dict(environ or {})
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is None or binding.value is None:
            continue
        value = binding.value
        if not _single_quoted(binding.original.string):
            value = expand(binding.key, value, {**known, **values}, lambda c: run(c, cwd))
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


def run_substitution(command: str, cwd: Path | None) -> str:
    """Run ``command`` with ``sh -c`` and return its output without the final newline."""
    done = subprocess.run(
        ["sh", "-c", command], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout + done.stderr)
    return done.stdout.rstrip("\n")


def _single_quoted(original: str) -> bool:
    _, _, rest = original.partition("=")
    return rest.lstrip().startswith("'")
