"""``registry.*``: logging in to and out of the image registry."""

from __future__ import annotations

from kamal_tasks.context import KamalContext, kamal_task


@kamal_task
def login(k: KamalContext) -> None:
    """Log in to the registry here and on the servers."""
    from kamal_tasks.flows import build

    build.login(k)


@kamal_task
def logout(k: KamalContext) -> None:
    """Log out of the registry on the servers."""
    from kamal_tasks.flows import build

    build.logout(k)
