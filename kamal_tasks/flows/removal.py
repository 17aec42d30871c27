"""``remove``: take everything off the servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import app, registry, server
from kamal_tasks.commands import traefik as traefik_commands
from kamal_tasks.flows import accessory, env, lock

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext


def remove_everything(k: KamalContext) -> None:
    """Inside the lock: Traefik, app containers and images, accessories, registry session,
    then the service's files in the run directory; after it, the empty run directories."""
    config = k.config
    with lock.held(k, "Removing everything"):
        for command in (
            traefik_commands.stop(),
            traefik_commands.remove_container(),
            traefik_commands.remove_image(),
        ):
            k.runner.run(config.traefik_hosts, command, warn=True)
        for role in config.roles:
            k.runner.run(config.role_hosts(role), app.stop(config, role), warn=True)
            k.runner.run(config.role_hosts(role), app.remove_containers(config, role), warn=True)
        k.runner.run(config.hosts, app.remove_images(config), warn=True)
        if config.accessories:
            accessory.remove(k, "all")
        k.runner.run(config.hosts, registry.logout(config), warn=True)
        remove_run_files(k)
    k.runner.run(run_hosts(k), server.remove_empty_run_directories(config), warn=True)


def remove_run_files(k: KamalContext) -> None:
    """The service's files in the run directory: env files, audit log, cords, asset copies."""
    env.delete(k)
    k.runner.run(run_hosts(k), server.remove_service_files(k.config), warn=True)


def run_hosts(k: KamalContext) -> list[str]:
    """Every host with a run directory of ours: the app's and the accessories'."""
    accessory_hosts = (host for a in k.config.accessories.values() for host in a.hosts)
    return list(dict.fromkeys([*k.config.hosts, *accessory_hosts]))
