"""The cord: a host directory holding a ``cord`` file, mounted into each traefik-routed
container and checked by its health command. Cutting it (deleting the directory) turns the
old container unhealthy so Traefik stops routing to it before it is stopped."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from kamal_tasks.commands.base import (
    Raw,
    combine,
    docker,
    join,
    make_directory,
    shell_word,
    volume_mapping,
    word,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config, Role

CORD_FILE = "cord"


def host_directory(config: Config, role: Role, cord_id: str) -> str:
    """The cord directory of one boot on the host: ``.kamal/cords/app-web-<cord_id>``."""
    return config.run_path(f"cords/{role.container_prefix}-{cord_id}")


#: A cord id as ``KamalContext.new_id()`` makes them (``secrets.token_hex(8)``), as a glob.
ID_GLOB = "[0-9a-f]" * 16


def host_directories(config: Config, role: Role) -> str:
    """A glob of every cord directory of the role on a host, and of nothing else: not those
    of a role or destination whose name only starts the same (``app-web-api-...``,
    ``app-web-staging-...``)."""
    return word(config.run_path(f"cords/{role.container_prefix}-"), Raw(ID_GLOB))


def container_directory(role: Role) -> str:
    """Where the cord directory is mounted in the container (``healthcheck.cord``)."""
    if role.healthcheck.cord is None:
        raise ValueError(f"role {role.name} does not use a cord")
    return role.healthcheck.cord


def health_command(role: Role) -> str:
    """The role's health command, also checking the cord file when the role uses a cord.

    A shell command line run in the container; the cord path in it is quoted as one word.
    """
    command = role.healthcheck.command
    if not role.uses_cord:
        return command
    cord_file = shell_word(f"{container_directory(role)}/{CORD_FILE}")
    return f"({command}) && (stat {cord_file} > /dev/null || exit 1)"


def volume_arg(config: Config, role: Role, cord_id: str) -> str:
    """``--volume $(pwd)/.kamal/cords/app-web-<id>:/tmp/kamal-cord`` (no ``$(pwd)/`` for an
    absolute ``run_directory``)."""
    host_path = host_directory(config, role, cord_id)
    return join("--volume", volume_mapping(host_path, ":", container_directory(role)))


def tie(directory: str) -> str:
    """Create the cord directory and its file: ``mkdir -p DIR && touch DIR/cord``."""
    return combine(make_directory(directory), join("touch", f"{directory}/{CORD_FILE}"))


def cut(directory: str) -> str:
    """Delete the cord directory, failing the container's health check: ``rm -r DIR``."""
    return join("rm", "-r", directory)


def go_string(value: str) -> str:
    """``value`` as a Go template string literal (``"..."`` with ``\\`` escapes)."""
    return json.dumps(value, ensure_ascii=False)


def directory_of(role: Role, container_name: str) -> str:
    """Print the host directory mounted at the cord path of ``container_name``.

    Docker's template compares each mount's destination (so paths with spaces work).
    """
    destination = go_string(container_directory(role))
    template = f"{{{{range .Mounts}}}}{{{{if eq .Destination {destination}}}}}{{{{.Source}}}}"
    return docker("inspect", "-f", f"{template}{{{{end}}}}{{{{end}}}}", container_name)
