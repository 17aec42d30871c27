"""Registry login and logout. The password never appears on a command line: ``login`` reads
it from stdin, which the runner feeds with ``config.registry.resolved_password(...)``."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from kamal_tasks.commands.base import Raw, docker, quote, shell_word, subshell

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


#: The key ``docker login`` stores Docker Hub's credentials under.
DOCKER_HUB_KEY = "https://index.docker.io/v1/"


def login_unless_stored(config: Config, username: str | None = None) -> Raw:
    """``login``, skipped when the host's docker config already stores these very credentials
    for this registry (what ``docker login`` would store again); ``Already logged in`` then.

    Reads stdin: a first line with the base64 of ``user:password`` (as docker stores it),
    compared with shell builtins only so it never lands on a command line, then the password
    for ``docker login`` (read and dropped when skipped: the sender never writes to a closed
    channel). A config in another shape (a credential store, other fields) simply logs in.
    """
    key = config.registry.server or DOCKER_HUB_KEY
    before, after = shell_word(f'"{key}":{{"auth":"'), shell_word('"}')
    return subshell(
        Raw(
            'IFS= read -r auth; f="${DOCKER_CONFIG:-$HOME/.docker}/config.json"; '
            "stored=$(tr -d ' \\t\\r\\n' < \"$f\" 2>/dev/null); "
            f'case "$stored" in *{before}"$auth"{after}*) '
            'echo "Already logged in"; cat >/dev/null ;; '
            f"*) {login(config, username)} ;; esac"
        )
    )


def stored_auth(username: str, password: str) -> str:
    """The ``auth`` docker stores for a login: base64 of ``user:password``."""
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def logout(config: Config) -> str:
    """``docker logout [server]``."""
    return docker("logout", config.registry.server)
