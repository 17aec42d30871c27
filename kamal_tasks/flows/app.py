"""The app's containers outside a deploy: start, stop, stale ones, removal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import app
from kamal_tasks.flows import boot, lock

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


def start(k: KamalContext) -> None:
    """Start the existing containers of the version, role by role, inside the deploy lock."""
    config = k.config
    with lock.held(k, "Starting the app"):
        for role in config.roles:
            k.runner.run(config.role_hosts(role), app.start(config, role))


def stop(k: KamalContext) -> None:
    """Stop the running containers, role by role, inside the deploy lock."""
    config = k.config
    with lock.held(k, "Stopping the app"):
        for role in config.roles:
            k.runner.run(config.role_hosts(role), app.stop(config, role), warn=True)


def show_stale_containers(k: KamalContext) -> None:
    """Print the running containers that are not the newest of their role."""
    config = k.config
    for role in config.roles:
        results = k.runner.run(config.role_hosts(role), app.running_container_names(config, role))
        for host, result in results.items():
            for name in result.stdout.split()[1:]:
                k.output.result(f"[{host}] stale: {name}")


def stop_stale_containers(k: KamalContext) -> None:
    """Stop running app containers other than each role's newest (left by failed deploys).

    Inside the deploy lock: during someone's deploy the newest is their new container, not
    yet serving. Deploys do this as they boot (``boot.boot(stop_stale=True)``); this is the
    task's."""
    config = k.config

    def stop_stale_on(host: Host) -> None:
        for role in config.roles_on(host.name):
            names = host.run(app.running_container_names(config, role)).stdout.split()
            boot.stop_stale(k, host, role, names[1:])

    with lock.held(k, "Stopping stale containers"):
        k.runner.on(config.hosts, stop_stale_on)


def remove(k: KamalContext, *, warn: bool = False) -> None:
    """Stop and remove the containers, then the images (``warn``: go on past failures)."""
    config = k.config
    for role in config.roles:
        k.runner.run(config.role_hosts(role), app.stop(config, role), warn=True)
        k.runner.run(config.role_hosts(role), app.remove_containers(config, role), warn=warn)
    k.runner.run(config.hosts, app.remove_images(config), warn=warn)
