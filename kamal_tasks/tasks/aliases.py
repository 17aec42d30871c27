"""Aliases from ``deploy.yml`` (``aliases: {console: app.exec -i --reuse "bin/rails c"}``):
tasks of their own that run a task command line, with the options every task takes.

The collection reads them when it loads: one small YAML read of ``config/deploy.yml`` (or
``INVOKE_KAMAL_CONFIG_FILE``), nothing heavier; a file that can't be read adds no aliases
(the configuration's validation reports what is wrong when a task loads it).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamal_tasks import errors

if TYPE_CHECKING:
    from invoke import Collection

    from kamal_tasks.context import KamalContext
    from kamal_tasks.options import Options

NAME_PATTERN = r"^[a-z0-9_-]+$"
_builtin: set[str] = set()


def builtin_task_names() -> set[str]:
    """The names of the collection's own tasks and task groups (``app``): aliases may neither
    reuse them nor run other aliases."""
    if not _builtin:
        from kamal_tasks.tasks import ns  # noqa: F401 - loading it fills the set

    return _builtin


def resolve(command: str) -> list[str]:
    """The alias's command line as arguments, task first (Kamal's ``app exec`` -> ``app.exec``)."""
    try:
        words = shlex.split(command)
    except ValueError:
        raise errors.AliasError(command) from None
    names = builtin_task_names()
    if len(words) >= 2 and f"{words[0]}.{words[1]}" in names:
        return [f"{words[0]}.{words[1]}", *words[2:]]
    if words and words[0] in names:
        return words
    raise errors.AliasError(command)


#: ERB comment tags (``<%# ... %>``), dropped before the raw read.
ERB_COMMENT = re.compile(r"<%#.*?%>", re.DOTALL)


def read(config_file: Path) -> dict[str, str]:
    """The well-formed aliases of ``config_file`` ({} when it can't be read)."""
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        text = ERB_COMMENT.sub("", config_file.read_text())  # a `<%# %>` line breaks YAML
        raw = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except Exception:  # noqa: BLE001 - no file, bad YAML, no yaml: no aliases
        return {}
    aliases = raw.get("aliases") if isinstance(raw, dict) else None
    if not isinstance(aliases, dict):
        return {}
    return {
        name: command
        for name, command in aliases.items()
        if isinstance(name, str) and re.match(NAME_PATTERN, name)
        and name not in _builtin and name.replace("_", "-") not in _builtin
        and isinstance(command, str) and command.strip()
    }  # fmt: skip


def add_to(collection: Collection, config_file: Path) -> None:
    """Note the collection's own tasks (and groups), then add a task per alias of
    ``config_file``."""
    _builtin.update(collection.task_names, collection.collections)
    for name, command in read(config_file).items():
        try:
            collection.add_task(alias_task(name, command))
        except ValueError:  # a clash Invoke refuses: loading the collection must not fail
            continue


def alias_task(name: str, command: str) -> Any:
    """A task called ``name`` running ``command`` with the options it was given."""
    from kamal_tasks.task import kamal_task

    def body(k: KamalContext) -> None:
        run(k, configured(k, name, command))

    body.__name__ = body.__qualname__ = name.replace("-", "_")
    body.__doc__ = f"Alias for `{command}`."
    body.__module__ = "kamal_tasks.tasks.main"  # a top-level command for hooks
    return kamal_task(name=name)(body)


def common_flags(options: Options) -> list[str]:
    """The global options as flags (those differing from their defaults)."""
    from kamal_tasks.options import COMMON_OPTIONS, Options

    flags: list[str] = []
    default = Options()
    for name in COMMON_OPTIONS:  # settings without a flag (timeouts) reach it as config
        value = getattr(options, name)
        if value == getattr(default, name):
            continue
        flag = "--" + name.replace("_", "-")
        flags += [flag] if value is True else [flag, str(value)]
    return flags


def configured(k: KamalContext, name: str, command: str) -> str:
    """The alias's command as the loaded configuration has it (ERB rendered, destination
    merged); ``command``, read raw for the task list, when it has none."""
    aliases = k.config.raw.get("aliases")
    value = aliases.get(name) if isinstance(aliases, dict) else None
    return value if isinstance(value, str) else command


def run(k: KamalContext, command: str) -> None:
    """Run the aliased command line through the collection, with ``k``'s global options."""
    from invoke import Program

    from kamal_tasks.tasks import ns

    argv = [*resolve(command), *common_flags(k.options)]
    Program(namespace=ns, name="kamal-tasks", binary="inv").run(["inv", *argv])
