"""``prune.*``: stopped app containers and unused images."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.task import kamal_task

RETAIN_HELP = {"retain": "How many stopped containers to keep (default retain_containers)"}


@kamal_task(name="all", help=RETAIN_HELP)
def all_(k: KamalContext, retain: int | None = None) -> None:
    """Prune stopped containers and unused images."""
    from kamal_tasks.flows import prune

    prune.everything(k, retain)


@kamal_task(help=RETAIN_HELP)
def containers(k: KamalContext, retain: int | None = None) -> None:
    """Prune stopped app containers, keeping the newest."""
    from kamal_tasks.flows import prune

    prune.containers(k, retain)


@kamal_task
def images(k: KamalContext) -> None:
    """Prune unused app images."""
    from kamal_tasks.flows import prune

    prune.images(k)
