"""The cord: a host directory holding a ``cord`` file, mounted into each traefik-routed
container and checked by its health command. Cutting it (deleting the directory) turns the
old container unhealthy so Traefik stops routing to it before it is stopped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands.base import docker, join, pipe, single_quote

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config, Role

CORD_FILE = "cord"


def host_directory(config: Config, role: Role, cord_id: str) -> str:
    """The cord directory of one boot on the host: ``.kamal/cords/app-web-<cord_id>``."""
    return config.env_path(f"cords/{role.container_prefix}-{cord_id}")


def container_directory(role: Role) -> str:
    """Where the cord directory is mounted in the container (``healthcheck.cord``)."""
    if role.healthcheck.cord is None:
        raise ValueError(f"role {role.name} does not use a cord")
    return role.healthcheck.cord


def health_command(role: Role) -> str:
    """The role's health command, also checking the cord file when the role uses a cord."""
    command = role.healthcheck.command
    if not role.uses_cord:
        return command
    return f"({command}) && (stat {container_directory(role)}/{CORD_FILE} > /dev/null || exit 1)"


def volume_arg(config: Config, role: Role, cord_id: str) -> str:
    """``--volume $(pwd)/.kamal/cords/app-web-<id>:/tmp/kamal-cord`` (no ``$(pwd)/`` for an
    absolute ``run_directory``)."""
    host_path = config.docker_volume_path(host_directory(config, role, cord_id))
    return join("--volume", f"{host_path}:{container_directory(role)}")


def tie(directory: str) -> str:
    """Create the cord directory and its file: ``mkdir -p DIR && touch DIR/cord``."""
    return f"mkdir -p {directory} && touch {directory}/{CORD_FILE}"


def cut(directory: str) -> str:
    """Delete the cord directory, failing the container's health check: ``rm -r DIR``."""
    return join("rm", "-r", directory)


def directory_of(role: Role, container_name: str) -> str:
    """Print the host directory mounted at the cord path of ``container_name``."""
    mounts = single_quote('{{ range .Mounts }}{{printf "%s %s\\n" .Source .Destination}}{{ end }}')
    program = f'$2 == "{container_directory(role)}" {{print $1}}'
    return pipe(
        docker("inspect", "-f", mounts, container_name),
        join("awk", single_quote(program)),
    )
