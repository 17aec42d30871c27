"""Sessions on one host: interactive ``exec -i`` and followed logs, through the system ``ssh``
with the user's terminal; and the version an ``exec --reuse`` goes into."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from kamal_tasks.commands import app as app_commands
from kamal_tasks.commands import interactive
from kamal_tasks.errors import KamalError, NoRunningContainer, PickOneHost
from kamal_tasks.signals import STOP_SIGNALS

if TYPE_CHECKING:
    from kamal_tasks.configuration import Accessory, Role
    from kamal_tasks.context import KamalContext

#: Exit status of a session ended with Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def one_host(k: KamalContext, task: str, candidates: list[str]) -> str:
    """The host a session runs on: the primary host, unless ``--hosts`` picked one."""
    candidates = list(dict.fromkeys(candidates))
    if k.options.hosts and len(candidates) > 1:
        raise PickOneHost(task, candidates)
    if not candidates:
        raise KamalError(f"{task}: no host to run on")
    primary = k.config.primary_host
    return primary if primary in candidates else candidates[0]


def one_accessory(k: KamalContext, task: str, name: str) -> Accessory:
    """The accessory called ``name`` (``all`` is refused: a session is with one)."""
    if name == "all":
        raise KamalError(f"{task} works on one accessory: name it instead of all")
    return k.config.accessory(name)


def hosts_of(k: KamalContext, accessory: Accessory) -> list[str]:
    """The accessory's hosts, limited by ``--hosts`` when given."""
    if not k.options.hosts:
        return list(accessory.hosts)
    patterns = [pattern.strip() for pattern in k.options.hosts.split(",") if pattern.strip()]
    return [host for host in accessory.hosts if any(fnmatch(host, p) for p in patterns)]


def running_version(k: KamalContext, role: Role, host: str) -> str:
    """The version of ``role``'s running container on ``host`` (``--version`` wins)."""
    if k.options.version:
        return k.config.version
    result = k.runner.run([host], app_commands.current_running_version(k.config, role))[host]
    version = next(iter(result.stdout.split()), "")
    if not version and k.runner.dry_run:
        return k.config.version
    if not version:
        raise NoRunningContainer(role.name, host)
    return version


def attach(k: KamalContext, host: str, remote_command: str, *, tty: bool | None = None) -> int:
    """Run ``remote_command`` on ``host`` through ``ssh`` with this terminal; its exit status.

    ``tty`` (default: whether stdin is a terminal) asks ssh for a remote terminal (``-t``).
    A dry run prints the command instead.
    """
    if tty is None:
        tty = sys.stdin is not None and sys.stdin.isatty()
    argv = interactive.ssh_argv(k.config.ssh, host, remote_command, tty=tty)
    if k.options.dry_run:
        k.output.plan(host, remote_command)
        return 0
    k.runner  # noqa: B018 - sets up the runner, which runs the pre-connect hook first
    k.output.command("local", shlex.join(argv))
    k.output.info(f"Connecting to {host}...")
    return run_attached(argv)


def follow(k: KamalContext, host: str, command: str) -> None:
    """Stream ``command``'s output from ``host`` until Ctrl-C (then exit 130, quietly)."""
    exit_with(attach(k, host, interactive.interruptible(command)))


def run_attached(argv: list[str]) -> int:
    """Run ``argv`` with our stdin/stdout/stderr; Ctrl-C ends it (130), never a traceback.

    On a terminal ssh puts it in raw mode, so Ctrl-C travels to the remote side as a key;
    a SIGINT sent to us is passed on to the child.
    """
    try:
        process = subprocess.Popen(argv)  # noqa: S603 - argv built by commands.interactive
    except FileNotFoundError:
        raise KamalError(
            f"`{argv[0]}` not found: sessions need OpenSSH's ssh on the PATH"
        ) from None
    interrupted = False

    def forward(signum: int, frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        try:
            process.send_signal(signum)  # SIGINT or SIGTERM: the session ends as asked
        except ProcessLookupError:
            pass

    previous: dict[signal.Signals, Any] = {}
    try:
        for stop_signal in STOP_SIGNALS:
            previous[stop_signal] = signal.signal(stop_signal, forward)
    except ValueError:  # not the main thread: leave signals alone
        previous = {}
    try:
        code = process.wait()
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)
    if code < 0:
        return 128 - code
    return INTERRUPTED if interrupted and code != 0 else code


def default_lines(
    lines: int | str | None, since: str | None, grep: str | None, *, follow: bool = False
) -> int | None:
    """Kamal's ``--lines`` default: 100 (10 when following), all with ``--since``/``--grep``."""
    if lines is not None:
        try:
            return int(lines)
        except ValueError:
            raise KamalError(f"--lines: should be a whole number (got {lines!r})") from None
    if since or grep:
        return None
    return 10 if follow else 100


def log_options(
    since: str | None,
    lines: int | str | None,
    grep: str | None,
    grep_options: str | None,
    *,
    follow: bool = False,
) -> dict[str, Any]:
    """The options of a ``logs`` builder, ``--lines`` defaulted as Kamal does."""
    tail = default_lines(lines, since, grep, follow=follow)
    return {"since": since, "lines": tail, "grep": grep, "grep_options": grep_options}


def logs(
    k: KamalContext,
    task: str,
    log_flags: tuple[str | None, int | str | None, str | None, str | None, bool],
    *,
    hosts: Callable[[], list[str]],
    followed: Callable[[str, dict[str, Any]], str],
    each: Callable[[dict[str, Any]], None],
) -> None:
    """A ``logs`` task: with ``--follow``, stream ``followed(host, options)`` on one of
    ``hosts()``; else ``each(options)``. ``log_flags``: since, lines, grep, grep_options, follow."""
    since, lines, grep, grep_options, following = log_flags
    options = log_options(since, lines, grep, grep_options, follow=following)
    if following:
        host = one_host(k, f"{task} --follow", hosts())
        follow(k, host, followed(host, options))
        return
    each(options)


def env_pairs(items: list[str] | None) -> dict[str, str]:
    """``--env KEY=VALUE`` flags as a mapping; an item without ``=`` is an error naming it."""
    pairs: dict[str, str] = {}
    for item in items or []:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise KamalError(f"--env {item!r}: should be KEY=VALUE")
        pairs[key] = value
    return pairs


def exit_with(code: int) -> None:
    """End the task with a session's exit status (nothing printed; 0 returns)."""
    if code:
        from invoke.exceptions import Exit

        raise Exit(code=code)
