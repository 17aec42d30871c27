"""The Traefik container on hosts of routed roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import traefik as traefik_commands
from kamal_tasks.flows.build import registry_login

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


def boot(k: KamalContext) -> None:
    """Make sure Traefik runs on every Traefik host (start it, or run it the first time)."""
    config = k.config
    if not config.traefik_hosts:
        return
    k.output.info("Ensuring Traefik is running...")
    k.runner.run(config.traefik_hosts, traefik_commands.start_or_run(config))


def reboot(k: KamalContext, *, rolling: bool = False) -> None:
    """Replace the Traefik container (host by host with ``rolling``), each group between the
    ``pre-``/``post-traefik-reboot`` hooks."""
    config = k.config
    login = registry_login(k)

    def replace(host: Host) -> None:
        login.run_on(host)
        host.run(traefik_commands.stop(), warn=True)
        host.run(traefik_commands.remove_container(), warn=True)
        host.run(traefik_commands.run(config))
        k.output.host(host.name, "Rebooted Traefik")

    groups = [[host] for host in config.traefik_hosts] if rolling else [config.traefik_hosts]
    for group in groups:  # as Kamal: the hooks around each group, KAMAL_HOSTS its hosts
        k.hook("pre-traefik-reboot", hosts=group)
        k.runner.on(group, replace)
        k.hook("post-traefik-reboot", hosts=group)


def start(k: KamalContext) -> None:
    """Start the Traefik container."""
    k.runner.run(k.config.traefik_hosts, traefik_commands.start())


def stop(k: KamalContext) -> None:
    """Stop the Traefik container."""
    k.runner.run(k.config.traefik_hosts, traefik_commands.stop(), warn=True)


def remove(k: KamalContext) -> None:
    """Stop Traefik, then remove its container and image (each step past failures)."""
    for command in (
        traefik_commands.stop(),
        traefik_commands.remove_container(),
        traefik_commands.remove_image(),
    ):
        k.runner.run(k.config.traefik_hosts, command, warn=True)
