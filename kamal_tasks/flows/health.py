"""Waiting for a container to turn healthy (or, for the cord, unhealthy)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kamal_tasks.errors import KamalError

#: States after which a container will never turn healthy by itself.
DEAD_STATES = frozenset({"exited", "dead", "removing", ""})


@dataclass
class ContainerUnhealthy(KamalError):
    """A new container did not become healthy (or ready) in time."""

    host: str
    container: str
    status: str
    details: str = ""

    def __str__(self) -> str:
        message = f"{self.container} on {self.host} not ready ({self.status or 'gone'})"
        return f"{message}\n{self.details}".rstrip()


@dataclass
class Poller:
    """Polls a status with Kamal's back-off: wait 1 s, 2 s, ... up to ``max_attempts`` times."""

    max_attempts: int
    sleep: Callable[[float], None] = time.sleep
    report: Callable[[str], None] = lambda message: None

    def wait_for_healthy(
        self, status: Callable[[], str], *, readiness_delay: float, host: str, container: str
    ) -> None:
        """Return once healthy (or running, plus ``readiness_delay``, without a health check).

        ``status`` answers ``"<state> [<health>]"`` (e.g. ``running starting``). A container
        that has exited fails at once instead of sitting out the back-off.
        """
        for attempt in range(1, self.max_attempts + 2):
            state, health = parse_status(status())
            if health == "healthy" or (state == "running" and not health):
                if not health:
                    self.sleep(readiness_delay)
                self.report("Container is healthy!")
                return
            shown = health or state
            if state in DEAD_STATES or attempt > self.max_attempts:
                raise ContainerUnhealthy(host, container, state if state in DEAD_STATES else shown)
            self.report(
                f"container not ready ({shown}), retrying in {attempt}s "
                f"(attempt {attempt}/{self.max_attempts})..."
            )
            self.sleep(attempt)

    def wait_for_unhealthy(self, status: Callable[[], str], *, pause: float) -> bool:
        """Wait until unhealthy or stopped (then ``pause``); False if it never turned."""
        for attempt in range(1, self.max_attempts + 2):
            state, health = parse_status(status())
            if health == "unhealthy" or state in DEAD_STATES:
                self.sleep(pause)
                return True
            if attempt > self.max_attempts:
                return False
            self.report(f"container not unhealthy ({health or state}), retrying in {attempt}s...")
            self.sleep(attempt)
        return False


def parse_status(text: str) -> tuple[str, str]:
    """``"running healthy"`` -> ``("running", "healthy")``; without a health check, no health."""
    state, _, health = text.strip().partition(" ")
    return state, health.strip()
