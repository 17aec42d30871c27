"""``accessory.*``: accessory containers (``NAME`` or ``all``)."""

from __future__ import annotations

from kamal_tasks.context import KamalContext, kamal_task

NAME_HELP = {"name": "Accessory name, or all"}


@kamal_task(positional=["name"], help=NAME_HELP)
def boot(k: KamalContext, name: str) -> None:
    """Boot an accessory (directories, files, container)."""
    from kamal_tasks.flows import accessory

    accessory.boot(k, name)


@kamal_task(positional=["name"], help=NAME_HELP)
def reboot(k: KamalContext, name: str) -> None:
    """Remove and boot an accessory again."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    for acc in accessory.selected(k, name):
        k.runner.run(acc.hosts, commands.stop(acc), warn=True)
        k.runner.run(acc.hosts, commands.remove_container(acc), warn=True)
    accessory.boot(k, name)


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
    name="exec", positional=["name", "command"], help={**NAME_HELP, "command": "Command to run"}
)
def exec_(k: KamalContext, name: str, command: str) -> None:
    """Run a command in an accessory's running container."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    accessory.each_host(k, name, lambda acc: commands.execute_in_existing_container(acc, command))


@kamal_task(positional=["name"], help={**NAME_HELP, "lines": "Lines per host"})
def logs(k: KamalContext, name: str, lines: int = 100) -> None:
    """Show an accessory's logs."""
    from kamal_tasks.commands import accessory as commands
    from kamal_tasks.flows import accessory

    accessory.each_host(k, name, lambda acc: commands.logs(acc, lines=lines))


@kamal_task(positional=["name"], help=NAME_HELP)
def remove(k: KamalContext, name: str) -> None:
    """Remove an accessory's container, image and data directory."""
    from kamal_tasks.flows import accessory

    accessory.remove(k, name)
