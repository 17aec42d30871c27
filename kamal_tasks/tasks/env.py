"""``env.*``: secret env files on the hosts."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.task import kamal_task


@kamal_task
def push(k: KamalContext) -> None:
    """Write the secret env files to the servers (mode 0400)."""
    from kamal_tasks.flows import env

    env.push(k)


@kamal_task
def delete(k: KamalContext) -> None:
    """Remove the secret env files from the servers."""
    from kamal_tasks.flows import env

    env.delete(k)
