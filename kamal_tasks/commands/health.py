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

After ``healthy``/``unhealthy`` comes ``ago: N``: how many milliseconds before the wait saw
it docker's last health check ended, i.e. when the container turned healthy or unhealthy
(``0`` when unknown). It is capped at the time since the previous look, when the container
was not yet so, and told ``AGO_ALLOWANCE_MS`` short: Docker records a check's end a moment
before it sets the status, so a pause counted from it is never shorter than asked.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from kamal_tasks.commands import cord
from kamal_tasks.commands.base import Raw, join, shell_word, single_quote, subshell

if TYPE_CHECKING:
    from kamal_tasks.configuration import Role

CRASHED, TIMED_OUT = 3, 4
#: Milliseconds ``ago`` is told short: more than Docker takes between ending a health check
#: and setting the status it decided (microseconds, a few ms under load).
AGO_ALLOWANCE_MS = 20
#: ``<state> <restart count> [<health>|<end of each logged health check, in ns> ...]``.
WATCH_FORMAT = single_quote(
    "{{.State.Status}} {{.RestartCount}}{{if .State.Health}} {{.State.Health.Status}}"
    "|{{range .State.Health.Log}}{{.End.UnixNano}} {{end}}{{end}}"
)
HEALTH_JSON_FORMAT = single_quote("{{json .State.Health}}")


def kamal_budget(max_attempts: int) -> int:
    """Kamal's total wait: it polls ``max_attempts`` times pausing 1 s, 2 s, ... in between."""
    return max_attempts * (max_attempts + 1) // 2


def _sleep(poll: float) -> Raw:
    # A fractional sleep where the system has one (GNU, busybox), else a whole second.
    return join("sleep", f"{poll:g}", Raw("2>/dev/null || sleep 1"))


def _watch(container: str, budget: float) -> Raw:
    """The loop's head: ``c``, the deadline, ``s`` (``gone 0`` once the container is), ``o``
    (``s`` and the health checks' end times) and ``prev``, the time (ns) of the last look.

    ``date +%s`` counts whole seconds: one more keeps the wait at least ``budget`` long."""
    return Raw(
        f"c={shell_word(container)}; end=$(($(date +%s) + {math.ceil(budget) + 1})); seen=; now=; "
        "while :; do prev=$now; now=$(date +%s%N); "
        f'o=$(docker inspect --format {WATCH_FORMAT} "$c" 2>/dev/null) || o="gone 0"; '
        "s=${o%%|*}; "
        'if [ "$s" != "$seen" ]; then echo "status: $s"; seen=$s; fi; '
        "set -- $s; "
    )


#: Sets and prints ``ago``: milliseconds since the last health check ended, at most since
#: ``prev`` (the look before, when the status was not yet what it is), less the allowance; 0
#: when any of it is unknown or odd (a first look, no health log, a ``date`` without ``%N``,
#: a look that took over 10 s).
_AGO = Raw(
    'ago=0; e=${o#"$s"}; e=${e#|}; e=${e% }; e=${e##* }; t=$(date +%s%N); '
    'case "$prev.$e.$t" in *[!0-9.]*|.*|*..*|*.) ;; '
    "*) ago=$(((t - e) / 1000000)); cap=$(((t - prev) / 1000000)); "
    f'[ "$ago" -le "$cap" ] || ago=$cap; ago=$((ago - {AGO_ALLOWANCE_MS})); '
    '[ "$ago" -ge 0 ] && [ "$cap" -le 10000 ] || ago=0 ;; '
    "esac; "
    'echo "ago: $ago"; '
)


def _pause_since(seconds: float) -> Raw:
    """Sleep ``seconds`` less ``ago`` (rounded up to a whole second without fractional sleep)."""
    if not seconds:
        return Raw("")
    return Raw(
        f"r=$(({round(seconds * 1000)} - ago)); "
        'if [ "$r" -gt 0 ]; then sleep "$((r / 1000)).$(printf %03d $((r % 1000)))" 2>/dev/null '
        "|| sleep $(((r + 999) / 1000)); fi; "
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
            f'if [ "${{3-}}" = healthy ]; then echo healthy; {_AGO}exit 0; fi; '
            'if [ -z "${3-}" ] && [ "$1" = running ]; then '
            f"ready=${{ready:-$(($(date +%s) + {ready_in}))}}; "
            'if [ "$(date +%s)" -ge "$ready" ]; then echo ready; exit 0; fi; fi; '
            'if [ "$(date +%s)" -ge "$end" ]; then '
            f'echo "timeout: $s"; {_report(log_lines)}exit {TIMED_OUT}; fi; '
            f"{_sleep(poll)}; done"
        )
    )


def wait_for_unhealthy(
    container: str, *, budget: float, poll: float = 0.25, pause: float = 0
) -> Raw:
    """Wait on the server until ``container`` is unhealthy (or no longer running), then until
    ``pause`` seconds have passed since docker called it unhealthy."""
    return subshell(
        Raw(
            _watch(container, budget)
            + 'if [ "${3-}" = unhealthy ] || [ "$1" != running ]; then echo unhealthy; '
            f"{_AGO}{_pause_since(pause)}exit 0; fi; "
            f'if [ "$(date +%s)" -ge "$end" ]; then echo "timeout: $s"; exit {TIMED_OUT}; fi; '
            f"{_sleep(poll)}; done"
        )
    )


#: The cord directory ``cut_cord_and_wait`` found mounted in the container, on the server.
_FOUND_CORD = Raw('"$d"')


def cut_cord_and_wait(
    role: Role, container: str, *, budget: float, poll: float = 0.25, notice: float = 0,
    then: str | None = None,
) -> Raw:  # fmt: skip
    """Cut ``container``'s cord (the host directory mounted at the role's cord path) and wait
    until it turns unhealthy, then until it has been so for ``notice`` seconds; ``no-cord``
    when it has no cord mounted (a cord already cut counts as cut). Then, unless the cut
    failed, run ``then``, a built command (the stop)."""
    wait = wait_for_unhealthy(container, budget=budget, poll=poll, pause=notice)
    return subshell(
        Raw(
            f"d=$({cord.directory_of(role, container)} 2>/dev/null); "
            f'if [ -n "$d" ]; then {cord.cut(_FOUND_CORD)} '
            '|| [ ! -e "$d" ] || exit 1; '
            f"{wait}; "
            "else echo no-cord; fi" + (f"; {subshell(then)}" if then else "")
        )
    )
