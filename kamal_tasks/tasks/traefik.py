"""``traefik.*``: the Traefik container on hosts of routed roles."""

from __future__ import annotations

from kamal_tasks.context import KamalContext, kamal_task
from kamal_tasks.tasks.main import show


@kamal_task
def boot(k: KamalContext) -> None:
    """Start Traefik (or run it the first time) on the Traefik hosts."""
    from kamal_tasks.flows import traefik

    traefik.boot(k)


@kamal_task(help={"rolling": "Reboot one host at a time"})
def reboot(k: KamalContext, rolling: bool = False) -> None:
    """Replace the Traefik container (runs the traefik reboot hooks)."""
    from kamal_tasks.flows import traefik

    traefik.reboot(k, rolling=rolling)


@kamal_task
def start(k: KamalContext) -> None:
    """Start the Traefik container."""
    from kamal_tasks.commands import traefik

    k.runner.run(k.config.traefik_hosts, traefik.start())


@kamal_task
def stop(k: KamalContext) -> None:
    """Stop the Traefik container."""
    from kamal_tasks.commands import traefik

    k.runner.run(k.config.traefik_hosts, traefik.stop(), warn=True)


@kamal_task
def restart(k: KamalContext) -> None:
    """Stop then start the Traefik container."""
    from kamal_tasks.commands import traefik

    k.runner.run(k.config.traefik_hosts, traefik.stop(), warn=True)
    k.runner.run(k.config.traefik_hosts, traefik.start())


@kamal_task
def details(k: KamalContext) -> None:
    """Show the Traefik container on each host."""
    from kamal_tasks.commands import traefik

    show(k, k.config.traefik_hosts, traefik.info(), "Traefik")


@kamal_task(help={"lines": "Lines per host"})
def logs(k: KamalContext, lines: int = 100) -> None:
    """Show Traefik's logs."""
    from kamal_tasks.commands import traefik

    show(k, k.config.traefik_hosts, traefik.logs(lines=lines), "Traefik logs")


@kamal_task
def remove(k: KamalContext) -> None:
    """Remove Traefik's container and image."""
    from kamal_tasks.commands import traefik

    k.runner.run(k.config.traefik_hosts, traefik.stop(), warn=True)
    k.runner.run(k.config.traefik_hosts, traefik.remove_container(), warn=True)
    k.runner.run(k.config.traefik_hosts, traefik.remove_image(), warn=True)
