"""``accessory.*``: accessory containers (``NAME`` or ``all``)."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.task import kamal_task
from kamal_tasks.tasks.main import LOGS_HELP, YES_HELP

NAME_HELP = {"name": "Accessory name, or all"}


@kamal_task(positional=["name"], help=NAME_HELP)
def boot(k: KamalContext, name: str) -> None:
    """Boot an accessory (directories, files, container)."""
    from kamal_tasks.flows import accessory

    accessory.boot(k, name)


@kamal_task(positional=["name"], help=NAME_HELP)
def reboot(k: KamalContext, name: str) -> None:
    """Remove and boot an accessory again."""
    from kamal_tasks.flows import accessory

    accessory.reboot(k, name)


@kamal_task(positional=["name"], help=NAME_HELP)
def start(k: KamalContext, name: str) -> None:
    """Start an accessory's existing container."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    accessory.each_host(k, name, commands.start)


@kamal_task(positional=["name"], help=NAME_HELP)
def stop(k: KamalContext, name: str) -> None:
    """Stop an accessory's container."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    accessory.each_host(k, name, commands.stop, warn=True)


@kamal_task(positional=["name"], help=NAME_HELP)
def restart(k: KamalContext, name: str) -> None:
    """Stop then start an accessory's container."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    accessory.each_host(k, name, commands.stop, warn=True)
    accessory.each_host(k, name, commands.start)


@kamal_task(positional=["name"], help=NAME_HELP)
def details(k: KamalContext, name: str) -> None:
    """Show an accessory's container on its hosts."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    accessory.each_host(k, name, commands.info)


@kamal_task(
    name="exec",
    positional=["name", "command"],
    help={
        **NAME_HELP,
        "command": "Command to run",
        "interactive": "With a terminal, on one host (the first, or the one --hosts picks)",
    },
)
def exec_(k: KamalContext, name: str, command: str, interactive: bool = False) -> None:
    """Run a command in an accessory's running container."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory, sessions

    if interactive:
        acc = sessions.one_accessory(k, "accessory.exec --interactive", name)
        host = sessions.one_host(k, "accessory.exec --interactive", sessions.hosts_of(k, acc))
        remote = commands.execute_in_existing_container(acc, command, interactive=True)
        sessions.exit_with(sessions.attach(k, host, remote, tty=True))
        return
    accessory.each_host(k, name, lambda acc: commands.execute_in_existing_container(acc, command))


@kamal_task(positional=["name"], help={**NAME_HELP, **LOGS_HELP})
def logs(
    k: KamalContext,
    name: str,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
    follow: bool = False,
) -> None:
    """Show an accessory's logs (or follow them on one host)."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory, sessions

    def hosts() -> list[str]:
        return sessions.hosts_of(k, sessions.one_accessory(k, "accessory.logs --follow", name))

    sessions.logs(
        k,
        "accessory.logs",
        (since, lines, grep, grep_options, follow),
        hosts=hosts,
        followed=lambda _, options: commands.logs(k.config.accessory(name), follow=True, **options),
        each=lambda options: accessory.each_host(k, name, lambda a: commands.logs(a, **options)),
    )


@kamal_task(positional=["name"], help={**NAME_HELP, "yes": YES_HELP})
def remove(k: KamalContext, name: str, yes: bool = False) -> None:
    """Remove an accessory's container, image and data directory (asks first)."""
    from kamal_tasks.flows import accessory
    from kamal_tasks.prompt import confirm

    names = ", ".join(acc.name for acc in accessory.selected(k, name))
    question = f"This will remove all containers, images and data directories for {names}."
    confirm("accessory.remove", f"{question} Are you sure?", yes=yes or k.options.dry_run)
    accessory.remove(k, name)
