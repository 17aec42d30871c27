"""Running hook scripts (``<hooks_path>/<name>``, else ``~/.kamal/hooks/<name>``) here."""

from __future__ import annotations

import math
import os
from pathlib import Path

from kamal_tasks.errors import HookFailed, HookNotExecutable, TimedOut
from kamal_tasks.runner import Runner

#: Every hook a project may provide; ``inv init`` writes a sample of each.
HOOK_NAMES = (
    "pre-init",
    "pre-connect",
    "pre-build",
    "post-push",
    "pre-deploy",
    "post-deploy",
    "pre-traefik-reboot",
    "post-traefik-reboot",
    "docker-setup",
)

#: Seconds a hook may run before it is killed (Invoke setting ``kamal.hook_timeout``).
DEFAULT_HOOK_TIMEOUT = 600.0


def hook_directories(hooks_path: str | Path, root: Path) -> list[Path]:
    """Where hooks are looked up, in order: the project's ``hooks_path``, then the user's
    ``~/.kamal/hooks`` (a project's hook wins over the user's hook of the same name)."""
    return [root / hooks_path, Path.home() / ".kamal" / "hooks"]


def hook_file(hooks_path: str | Path, name: str, root: Path) -> Path | None:
    """The hook's executable from the first directory holding a file ``name``, or None.

    Raises ``HookNotExecutable`` for a hook file without its execute bit.
    """
    found = (d / name for d in hook_directories(hooks_path, root) if (d / name).is_file())
    path = next(found, None)
    if path is not None and not os.access(path, os.X_OK):
        raise HookNotExecutable(name, path)
    return path


def shell_path(path: Path) -> str:
    """The hook's path as a command: relative to the working directory when inside it."""
    from kamal_tasks.commands.base import shell_word

    absolute, cwd = path.resolve(), Path.cwd().resolve()
    shown = absolute.relative_to(cwd) if absolute.is_relative_to(cwd) else absolute
    return shell_word(str(shown))


def run_hook(
    runner: Runner,
    hooks_path: str | Path,
    name: str,
    env: dict[str, str],
    root: Path,
    *,
    timeout: float | None = DEFAULT_HOOK_TIMEOUT,
) -> bool:
    """Run hook ``name`` if present; raise ``HookFailed`` with its output when it exits non-zero,
    ``TimedOut`` when it runs longer than ``timeout`` seconds (None: no limit).

    Returns whether a hook ran (or, in a dry run, would have run).
    """
    from kamal_tasks.local_process import ProcessTimedOut

    path = hook_file(hooks_path, name, root)
    if path is None:
        return False
    runner.output.info(f"Running the {name} hook...")
    try:
        # Always in a group of its own (signals forwarded, killed whole); inf: no limit.
        limit = math.inf if timeout is None else timeout
        result = runner.local(shell_path(path), env=env, warn=True, timeout=limit)
    except ProcessTimedOut:
        raise TimedOut(f"Hook {name} ({path})", timeout or 0, "kamal.hook_timeout") from None
    if not result.ok:
        raise HookFailed(name, result.output)
    return True
