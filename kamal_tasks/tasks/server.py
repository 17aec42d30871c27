"""``server.*``: commands on the servers and their bootstrap."""

from __future__ import annotations

from kamal_tasks.context import KamalContext, kamal_task
from kamal_tasks.tasks.main import show


@kamal_task(name="exec", positional=["command"], help={"command": "Command to run"})
def exec_(k: KamalContext, command: str) -> None:
    """Run a command on the servers."""
    show(k, k.config.hosts, command, f"`{command}`")


@kamal_task
def bootstrap(k: KamalContext) -> None:
    """Install Docker where missing, create the run directory, run the docker-setup hook."""
    from kamal_tasks.flows import server

    server.bootstrap(k)
