"""The deploy lock: a directory on the primary host, held for the length of a deploy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kamal_tasks.commands import lock as lock_commands
from kamal_tasks.commands import steps
from kamal_tasks.errors import KamalError, LockHeld

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host, Result


def acquire(k: KamalContext, message: str) -> None:
    """Take the lock on the primary host; raise ``LockHeld`` with its details if held."""
    take(k, message)
    announce(k)


def take(k: KamalContext, message: str) -> None:
    """Take the lock, printing nothing of its own; ``LockHeld`` with the holder's details, or
    (when there are none to read) with what the command said, so a permission or disk error
    shows instead of an empty "Deploy lock found"."""
    config = k.config
    details = lock_commands.details(
        config, message=message, performer=k.performer, at=k.now(), version=config.version
    )

    def take_on(host: Host) -> Result:
        # One round trip: the locks directory, then the lock itself.
        return host.run(steps.take_lock(config, details), warn=True)

    result = k.runner.on([config.primary_host], take_on)[config.primary_host]
    if not result.ok:
        raise LockHeld(status(k) or result.output.strip())


def announce(k: KamalContext) -> None:
    """Say the lock is ours."""
    k.output.info(f"Acquired the deploy lock on {k.config.primary_host}")


def release(k: KamalContext) -> None:
    """Release the lock on the primary host."""
    config = k.config
    k.runner.on([config.primary_host], lambda host: host.run(lock_commands.release(config)))
    if k.lock_state == "held":
        k.lock_state = "released"
    k.output.info(f"Released the deploy lock on {config.primary_host}")


def status(k: KamalContext) -> str | None:
    """Who holds the lock, since when, for which version and why; None when free."""
    config = k.config
    results = k.runner.run([config.primary_host], lock_commands.status(config), warn=True)
    result = results[config.primary_host]
    return result.stdout.strip() if result.ok and result.stdout.strip() else None


@contextmanager
def held(k: KamalContext, message: str = "Automatic deploy lock") -> Iterator[None]:
    """Hold the lock for the block; release it on every way out, errors and signals included.

    Nested blocks (a flow calling another that locks) share the outer block's lock. The
    release runs as cleanup, so it happens after a SIGINT/SIGTERM too, and only once the
    block has finished: every host's step included. When the block failed, a failure to
    release is reported and the block's error goes on; when it succeeded, it is the error.
    """
    if k.lock_depth:
        k.lock_depth += 1
        try:
            yield
        finally:
            k.lock_depth -= 1
        return
    take(k, message)
    k.lock_depth, k.lock_state = 1, "held"
    try:
        announce(k)  # inside: output that fails (a closed pipe) still releases the lock
        yield
    except BaseException:
        try:
            with k.stop.cleanup():
                release(k)
        except KamalError as error:
            k.output.error(f"Could not release the deploy lock: {error}")
        raise
    finally:
        k.lock_depth = 0
    with k.stop.cleanup():
        release(k)
