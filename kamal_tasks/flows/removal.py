"""``remove``: take everything off the servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import registry, server
from kamal_tasks.flows import accessory, app, env, lock, traefik

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext


def remove_everything(k: KamalContext) -> None:
    """Inside the lock: Traefik, app containers and images, accessories, registry session,
    then the service's files in the run directory; after it, the empty run directories."""
    config = k.config
    with lock.held(k, "Removing everything"):
        traefik.remove(k)
        app.remove(k, warn=True)
        if config.accessories:
            accessory.remove(k, "all")
        k.runner.run(config.hosts, registry.logout(config), warn=True)
        remove_run_files(k)
    k.runner.run(
        config.hosts_with_accessories, server.remove_empty_run_directories(config), warn=True
    )


def remove_run_files(k: KamalContext) -> None:
    """The service's files in the run directory: env files, audit log, cords, asset copies."""
    env.delete(k)
    config = k.config
    k.runner.run(config.hosts_with_accessories, server.remove_service_files(config), warn=True)
