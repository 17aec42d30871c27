"""``registry.*``: logging in to and out of the image registry."""

from __future__ import annotations

from kamal_tasks.context import KamalContext
from kamal_tasks.task import kamal_task

SKIP_HELP = {"skip_local": "Not here, only on the servers", "skip_remote": "Not on the servers"}


@kamal_task(help=SKIP_HELP)
def login(k: KamalContext, skip_local: bool = False, skip_remote: bool = False) -> None:
    """Log in to the registry here and on the servers."""
    from kamal_tasks.flows import build

    build.login(k, local=not skip_local, remote=not skip_remote)


@kamal_task(help=SKIP_HELP)
def logout(k: KamalContext, skip_local: bool = False, skip_remote: bool = False) -> None:
    """Log out of the registry here and on the servers."""
    from kamal_tasks.flows import build

    build.logout(k, local=not skip_local, remote=not skip_remote)
