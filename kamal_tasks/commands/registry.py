"""Registry login and logout. The password never appears on a command line: ``login`` reads
it from stdin, which the runner feeds with ``config.registry.resolved_password(...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands.base import docker, quote

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config


def login(config: Config, username: str | None = None) -> str:
    """``docker login [server] -u "user" --password-stdin``.

    ``username`` defaults to the configured one, read from ``config.env_values`` when the
    configuration names an env variable (raises ``MissingSecret`` if it is not set).
    """
    if username is None:
        username = config.registry.resolved_username(config.env_values)
    return docker("login", config.registry.server, "-u", quote(username), "--password-stdin")


def logout(config: Config) -> str:
    """``docker logout [server]``."""
    return docker("logout", config.registry.server)
