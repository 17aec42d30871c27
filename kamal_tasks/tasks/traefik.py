"""``traefik.*``: the Traefik container on hosts of routed roles."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.flows.answers import show
from kamal_tasks.task import kamal_task
from kamal_tasks.tasks.main import LOGS_HELP, YES_HELP


@kamal_task
def boot(k: KamalContext) -> None:
    """Start Traefik (or run it the first time) on the Traefik hosts."""
    from kamal_tasks.flows import traefik

    traefik.boot(k)


@kamal_task(help={"rolling": "Reboot one host at a time", "yes": YES_HELP})
def reboot(k: KamalContext, rolling: bool = False, yes: bool = False) -> None:
    """Replace the Traefik container inside the deploy lock (asks first; runs its hooks)."""
    from kamal_tasks.flows import lock, traefik
    from kamal_tasks.prompt import confirm

    question = "This will cause a brief outage on each host. Are you sure?"
    confirm("traefik.reboot", question, yes=yes or k.options.dry_run)
    with lock.held(k, "Rebooting Traefik"):
        traefik.reboot(k, rolling=rolling)


@kamal_task
def start(k: KamalContext) -> None:
    """Start the Traefik container."""
    from kamal_tasks.flows import traefik

    traefik.start(k)


@kamal_task
def stop(k: KamalContext) -> None:
    """Stop the Traefik container."""
    from kamal_tasks.flows import traefik

    traefik.stop(k)


@kamal_task
def restart(k: KamalContext) -> None:
    """Stop then start the Traefik container."""
    from kamal_tasks.flows import traefik

    traefik.stop(k)
    traefik.start(k)


@kamal_task
def details(k: KamalContext) -> None:
    """Show the Traefik container on each host."""
    from kamal_tasks.commands import traefik

    show(k, k.config.traefik_hosts, traefik.info(), "Traefik")


@kamal_task(help=LOGS_HELP)
def logs(
    k: KamalContext,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
    follow: bool = False,
) -> None:
    """Show Traefik's logs (or follow them on one host)."""
    from kamal_tasks.commands import traefik
    from kamal_tasks.flows import sessions

    def hosts() -> list[str]:
        return k.config.traefik_hosts

    sessions.logs(
        k,
        "traefik.logs",
        (since, lines, grep, grep_options, follow),
        hosts=hosts,
        followed=lambda _, options: traefik.logs(follow=True, **options),
        each=lambda options: show(k, hosts(), traefik.logs(**options), "Traefik logs"),
    )


@kamal_task
def remove(k: KamalContext) -> None:
    """Remove Traefik's container and image."""
    from kamal_tasks.flows import traefik

    traefik.remove(k)
