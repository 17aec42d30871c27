"""``remove``: take everything off the servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import app, registry
from kamal_tasks.commands import traefik as traefik_commands
from kamal_tasks.flows import accessory, lock

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext


def remove_everything(k: KamalContext) -> None:
    """Inside the lock: Traefik, app containers and images, accessories, registry session."""
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
