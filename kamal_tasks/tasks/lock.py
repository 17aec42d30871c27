"""``lock.*``: the deploy lock on the primary host."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.task import kamal_task


@kamal_task
def status(k: KamalContext) -> None:
    """Show who holds the deploy lock, since when, for which version and why."""
    from kamal_tasks.flows import lock

    k.output.result(lock.status(k) or "There is no deploy lock")


@kamal_task(help={"message": "Why the lock is taken"})
def acquire(k: KamalContext, message: str = "Manual lock") -> None:
    """Take the deploy lock."""
    from kamal_tasks.flows import lock

    lock.acquire(k, message)


@kamal_task
def release(k: KamalContext) -> None:
    """Release the deploy lock."""
    from kamal_tasks.flows import lock

    lock.release(k)
