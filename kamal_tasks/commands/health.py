"""Waits that run on the server: one remote command watches a container until it turns
healthy (or unhealthy), polling ``docker inspect`` every ``poll`` seconds in a POSIX ``sh``
loop, bounded by a time budget. Each prints a ``status: ...`` line whenever what it sees
changes (the flow relays them) and a last line saying how it ended (each is a subshell, so
its ``exit`` ends only the wait):

* ``healthy``/``ready`` (exit 0) for ``wait_for_healthy``; a crash (the container exited or
  restarted: restart count above zero, state ``restarting``/``exited``/``dead``/gone) ends the
  wait at once with ``crashed: ...`` (exit 3), a spent budget with ``timeout: ...`` (exit 4);
  both then print ``logs:`` and the container's last log lines, and ``health: <json>``.
* ``unhealthy`` (exit 0) for ``wait_for_unhealthy`` (or the container stopped), else
  ``timeout: ...`` (exit 4).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from kamal_tasks.commands import cord
from kamal_tasks.commands.base import Raw, join, shell_word, single_quote, subshell

if TYPE_CHECKING:
    from kamal_tasks.configuration import Role

CRASHED, TIMED_OUT = 3, 4
#: ``<state> <restart count> [<health>]`` of a container.
WATCH_FORMAT = single_quote(
    "{{.State.Status}} {{.RestartCount}}{{if .State.Health}} {{.State.Health.Status}}{{end}}"
)
HEALTH_JSON_FORMAT = single_quote("{{json .State.Health}}")


def kamal_budget(max_attempts: int) -> int:
    """Kamal's total wait: it polls ``max_attempts`` times pausing 1 s, 2 s, ... in between."""
    return max_attempts * (max_attempts + 1) // 2


def _sleep(poll: float) -> Raw:
    # A fractional sleep where the system has one (GNU, busybox), else a whole second.
    return join("sleep", f"{poll:g}", Raw("2>/dev/null || sleep 1"))


def _watch(container: str, budget: float) -> Raw:
    """The loop's head: ``c``, the deadline, and ``s`` (``gone 0`` once the container is).

    ``date +%s`` counts whole seconds: one more keeps the wait at least ``budget`` long."""
    return Raw(
        f"c={shell_word(container)}; end=$(($(date +%s) + {math.ceil(budget) + 1})); seen=; "
        f'while :; do s=$(docker inspect --format {WATCH_FORMAT} "$c" 2>/dev/null) '
        '|| s="gone 0"; '
        'if [ "$s" != "$seen" ]; then echo "status: $s"; seen=$s; fi; '
        "set -- $s; "
    )


def _report(log_lines: int) -> Raw:
    return Raw(
        f'echo "logs:"; docker logs --tail {int(log_lines)} "$c" 2>&1; '
        f'echo "health: $(docker inspect --format {HEALTH_JSON_FORMAT} "$c" 2>/dev/null)"; '
    )


def wait_for_healthy(
    container: str, *, budget: float, ready_after: float = 0, poll: float = 0.25,
    log_lines: int = 50,
) -> Raw:  # fmt: skip
    """Wait on the server until ``container`` is healthy, or (without a health check) has run
    ``ready_after`` seconds without a restart; fail at once when it crashes."""
    ready_in = math.ceil(ready_after) + 1 if ready_after else 0
    return subshell(
        Raw(
            _watch(container, budget)
            + 'if [ "$2" != 0 ] || { [ "$1" != running ] && [ "$1" != created ]; }; then '
            f'echo "crashed: $1, restarted $2 times"; {_report(log_lines)}exit {CRASHED}; fi; '
            'if [ "${3-}" = healthy ]; then echo healthy; exit 0; fi; '
            'if [ -z "${3-}" ] && [ "$1" = running ]; then '
            f"ready=${{ready:-$(($(date +%s) + {ready_in}))}}; "
            'if [ "$(date +%s)" -ge "$ready" ]; then echo ready; exit 0; fi; fi; '
            'if [ "$(date +%s)" -ge "$end" ]; then '
            f'echo "timeout: $s"; {_report(log_lines)}exit {TIMED_OUT}; fi; '
            f"{_sleep(poll)}; done"
        )
    )


def wait_for_unhealthy(container: str, *, budget: float, poll: float = 0.25) -> Raw:
    """Wait on the server until ``container`` is unhealthy (or no longer running)."""
    return subshell(
        Raw(
            _watch(container, budget)
            + 'if [ "${3-}" = unhealthy ] || [ "$1" != running ]; then echo unhealthy; exit 0; fi; '
            f'if [ "$(date +%s)" -ge "$end" ]; then echo "timeout: $s"; exit {TIMED_OUT}; fi; '
            f"{_sleep(poll)}; done"
        )
    )


def cut_cord_and_wait(
    role: Role, container: str, *, budget: float, poll: float = 0.25, notice: float = 0,
    then: str | None = None,
) -> Raw:  # fmt: skip
    """Cut ``container``'s cord (the host directory mounted at the role's cord path) and wait
    until it turns unhealthy, then pause ``notice`` seconds; ``no-cord`` when it has no cord
    mounted (a cord already cut counts as cut). Then, unless the cut failed, run ``then``, a
    built command (the stop)."""
    pause = join("sleep", f"{notice:g}") if notice else Raw(":")
    return subshell(
        Raw(
            f"d=$({cord.directory_of(role, container)} 2>/dev/null); "
            'if [ -n "$d" ]; then rm -r "$d" || [ ! -e "$d" ] || exit 1; '
            f"{wait_for_unhealthy(container, budget=budget, poll=poll)} && {pause}; "
            "else echo no-cord; fi" + (f"; {subshell(then)}" if then else "")
        )
    )
