"""``prune.*``, ``registry.*``, ``lock.*``, ``env.*`` and ``server.*``: small task groups."""

from __future__ import annotations

from kamal_tasks.context import KamalContext, kamal_task
from kamal_tasks.tasks.main import show

RETAIN_HELP = {"retain": "How many stopped containers to keep (default retain_containers)"}


@kamal_task(name="all", help=RETAIN_HELP)
def prune_all(k: KamalContext, retain: int | None = None) -> None:
    """Prune stopped containers and unused images."""
    from kamal_tasks.flows import prune

    prune.everything(k, retain)


@kamal_task(name="containers", help=RETAIN_HELP)
def prune_containers(k: KamalContext, retain: int | None = None) -> None:
    """Prune stopped app containers, keeping the newest."""
    from kamal_tasks.flows import prune

    prune.containers(k, retain)


@kamal_task(name="images")
def prune_images(k: KamalContext) -> None:
    """Prune unused app images."""
    from kamal_tasks.flows import prune

    prune.images(k)


@kamal_task(name="login")
def registry_login(k: KamalContext) -> None:
    """Log in to the registry here and on the servers."""
    from kamal_tasks.flows import build

    build.login(k)


@kamal_task(name="logout")
def registry_logout(k: KamalContext) -> None:
    """Log out of the registry on the servers."""
    from kamal_tasks.flows import build

    build.logout(k)


@kamal_task(name="status")
def lock_status(k: KamalContext) -> None:
    """Show who holds the deploy lock, since when, for which version and why."""
    from kamal_tasks.flows import lock

    k.output.result(lock.status(k) or "There is no deploy lock")


@kamal_task(name="acquire", help={"message": "Why the lock is taken"})
def lock_acquire(k: KamalContext, message: str = "Manual lock") -> None:
    """Take the deploy lock."""
    from kamal_tasks.flows import lock

    lock.acquire(k, message)


@kamal_task(name="release")
def lock_release(k: KamalContext) -> None:
    """Release the deploy lock."""
    from kamal_tasks.flows import lock

    lock.release(k)


@kamal_task(name="push")
def env_push(k: KamalContext) -> None:
    """Write the secret env files to the servers (mode 0400)."""
    from kamal_tasks.flows import env

    env.push(k)


@kamal_task(name="delete")
def env_delete(k: KamalContext) -> None:
    """Remove the secret env files from the servers."""
    from kamal_tasks.flows import env

    env.delete(k)


@kamal_task(name="exec", positional=["command"], help={"command": "Command to run"})
def server_exec(k: KamalContext, command: str) -> None:
    """Run a command on the servers."""
    show(k, k.config.hosts, command, f"`{command}`")


@kamal_task(name="bootstrap")
def server_bootstrap(k: KamalContext) -> None:
    """Install Docker where missing, create the run directory, run the docker-setup hook."""
    from kamal_tasks.flows import server

    server.bootstrap(k)
