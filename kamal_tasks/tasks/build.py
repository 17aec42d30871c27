"""``build.*``: building, pushing and pulling the image."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.task import kamal_task


@kamal_task
def deliver(k: KamalContext) -> None:
    """Build and push the image, then pull it on the servers."""
    from kamal_tasks.flows import build

    build.deliver(k)


@kamal_task
def push(k: KamalContext) -> None:
    """Build the image and push it to the registry."""
    from kamal_tasks.flows import build

    build.push(k)


@kamal_task
def pull(k: KamalContext) -> None:
    """Pull the image on the servers."""
    from kamal_tasks.flows import build

    build.pull(k)


@kamal_task
def create(k: KamalContext) -> None:
    """Create the buildx builder."""
    from kamal_tasks.flows import builder

    builder.create(k)


@kamal_task
def remove(k: KamalContext) -> None:
    """Remove the buildx builder."""
    from kamal_tasks.flows import builder

    builder.remove(k)


@kamal_task
def details(k: KamalContext) -> None:
    """Show the builder's details."""
    from kamal_tasks.flows import builder

    builder.details(k)
