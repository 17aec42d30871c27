"""``server.*``: commands on the servers and their bootstrap."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.flows.answers import show
from kamal_tasks.task import kamal_task
from kamal_tasks.tasks.main import EXEC_HELP


@kamal_task(
    name="exec",
    positional=["command"],
    help=EXEC_HELP,
)
def exec_(k: KamalContext, command: str, interactive: bool = False) -> None:
    """Run a command on the servers."""
    if interactive:
        from kamal_tasks.flows import sessions

        host = sessions.one_host(k, "server.exec --interactive", k.config.hosts)
        sessions.exit_with(sessions.attach(k, host, command, tty=True))
        return
    show(k, k.config.hosts, command, f"`{command}`")


@kamal_task
def bootstrap(k: KamalContext) -> None:
    """Install Docker where missing, create the run directory, run the docker-setup hook."""
    from kamal_tasks.flows import server

    server.bootstrap(k)
