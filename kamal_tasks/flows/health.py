"""Waiting for a container to turn healthy (or, for the cord, unhealthy), on the server.

Each wait is one remote command (``commands.health``) watching the container every
``POLL`` seconds, so a change is seen within a fraction of a second instead of after Kamal's
1 s, 2 s, 3 s ... back-off, within the same total budget. Its ``status:`` lines are relayed
once it returns; a crash (exit, restart) ends the wait at once, with the container's logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kamal_tasks.commands import health
from kamal_tasks.errors import ContainerUnhealthy
from kamal_tasks.runner import CommandFailed

if TYPE_CHECKING:
    from kamal_tasks.configuration import Role
    from kamal_tasks.runner import Host

#: Seconds between two looks at the container.
POLL = 0.25
#: Seconds left to the command timeout when the budget would reach it.
TIMEOUT_MARGIN = 5


def budget(role: Role, command_timeout: float | None = None, *, besides: float = 0) -> float:
    """Kamal's total wait for ``max_attempts``, kept under the command timeout together with
    ``besides`` (what else the same remote command waits: a readiness delay, a pause, a stop)."""
    seconds = float(health.kamal_budget(role.healthcheck.max_attempts))
    if command_timeout:
        seconds = max(1.0, min(seconds, command_timeout - TIMEOUT_MARGIN - besides))
    return seconds


def relay(output: str, report: Callable[[str], None]) -> list[str]:
    """Report the ``status:`` lines; return the lines after them."""
    lines = output.splitlines()
    rest = 0
    for index, line in enumerate(lines):
        if line.startswith("status: "):
            report(line.removeprefix("status: "))
            rest = index + 1
        else:
            break
    return lines[rest:]


def wait_for_healthy(
    host: Host, role: Role, container: str, *, ready_after: float, report: Callable[[str], None],
    command_timeout: float | None = None,
) -> float:  # fmt: skip
    """Wait on ``host`` until ``container`` is healthy (or ready); ``ContainerUnhealthy``
    with its logs and health state when it crashes or the budget runs out.

    Returns how many seconds before the wait ended docker called it healthy (0 if unknown).
    """
    command = health.wait_for_healthy(
        container,
        budget=budget(role, command_timeout, besides=ready_after) + ready_after,
        ready_after=ready_after,
        poll=POLL,
        log_lines=role.healthcheck.log_lines,
    )
    result = host.run(command, warn=True)
    rest = relay(result.stdout, report)
    if result.ok:
        report("Container is healthy!")
        return seconds_ago(rest)
    verdict = rest[0] if rest else f"exit {result.exited}"
    details = "\n".join(rest[1:]).strip()
    details = details.replace("logs:", f"Logs of {container}:", 1).replace("health:", "Health:", 1)
    if result.stderr.strip():
        details = f"{details}\n{result.stderr.strip()}".strip()
    raise ContainerUnhealthy(host.name, container, verdict, details=details)


def seconds_ago(lines: list[str]) -> float:
    """The ``ago: N`` (milliseconds) a wait printed, in seconds; 0 without one."""
    for line in lines:
        if line.startswith("ago: ") and line[5:].isdigit():
            return int(line[5:]) / 1000
    return 0.0


def cut_and_wait_for_unhealthy(
    host: Host, role: Role, command: str, *, report: Callable[[str], None]
) -> str:
    """Run the cut-and-wait ``command``: ``"unhealthy"``, ``"no-cord"`` or ``"timeout"``
    (the verdict line; what a chained stop prints after it is ignored)."""
    result = host.run(command, warn=True)
    for line in relay(result.stdout, report):
        if line in ("unhealthy", "no-cord"):
            return line
        if line.startswith("timeout"):
            return "timeout"
    if not result.ok:  # the cut itself failed
        raise CommandFailed(result)
    return "unhealthy"
