"""App containers: run, start, stop, inspect, find, rename, list and remove them (their logs and
``exec``: ``commands/app_exec.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from kamal_tasks.commands import assets, cord, env_files
from kamal_tasks.commands.base import (
    Raw,
    argumentize,
    command_words,
    docker,
    join,
    logging_args,
    optionize,
    pipe,
    quote,
    single_quote,
    word,
    xargs,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config, Role

HEALTH_STATUS_FORMAT = single_quote(
    "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}"
)
STATE_FORMAT = single_quote("{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}")
NAMES_FORMAT = single_quote("{{.Names}}")
ACTIVE_STATUSES = ("running", "restarting")


def _version(config: Config, version: str | None) -> str:
    return version or config.version


def filters(config: Config, role: Role | None = None, statuses: Iterable[str] = ()) -> list[str]:
    """Docker ``--filter`` values selecting this service's containers (of ``role``)."""
    values = [f"label=service={config.service}"]
    if config.destination:
        values.append(f"label=destination={config.destination}")
    if role is not None:
        values.append(f"label=role={role.name}")
    values += [f"status={status}" for status in statuses]
    return values


def filter_args(config: Config, role: Role | None = None, statuses: Iterable[str] = ()) -> str:
    """``--filter label=service=app [--filter label=destination=D] [--filter label=role=R] …``."""
    return join(["--filter", value] for value in filters(config, role, statuses))


def env_args(config: Config, role: Role, host: str) -> str:
    """``--env-file <role env file>`` then ``--env KEY="value"`` per clear value of ``host``."""
    return join(
        "--env-file",
        env_files.role_env_file(config, role),
        argumentize("--env", role.env(host).clear),
    )


def health_args(config: Config, role: Role, cord_id: str | None = None) -> str:
    """``--health-cmd``/``--health-interval`` (and the cord volume) for roles with a check."""
    if not role.has_healthcheck:
        return ""
    options = optionize(
        {"health-cmd": cord.health_command(role), "health-interval": role.healthcheck.interval}
    )
    if not role.uses_cord:
        return options
    if cord_id is None:
        raise ValueError(f"role {role.name} uses a cord: a cord_id is required")
    return join(options, cord.volume_arg(config, role, cord_id))


def container_hostname(host: str, unique: str) -> str:
    """Kamal's ``--hostname`` for an app container: the host's first 51 characters without
    trailing dots, ``-``, and 12 characters of ``unique`` (random hex from the caller)."""
    return f"{host[:51].rstrip('.')}-{unique[:12]}"


def run(
    config: Config,
    role: Role,
    host: str,
    *,
    version: str | None = None,
    cord_id: str | None = None,
    hostname: str | None = None,
) -> str:
    """``docker run`` of the role's container for ``version`` on ``host``.

    ``cord_id`` (random, chosen by the caller) names the cord directory; required when the
    role uses a cord. ``hostname`` is passed as ``--hostname`` when given. The role's ``cmd``
    is split into words as a shell would (``command_words``) and each word quoted.
    """
    version = _version(config, version)
    name = role.container_name(version)
    return docker(
        "run",
        "--detach",
        "--restart",
        "unless-stopped",
        "--name",
        name,
        ["--hostname", hostname] if hostname else None,
        "-e",
        word("KAMAL_CONTAINER_NAME=", quote(name)),
        "-e",
        word("KAMAL_VERSION=", quote(version)),
        env_args(config, role, host),
        health_args(config, role, cord_id),
        logging_args(role.logging),
        [["--volume", volume] for volume in config.volumes],
        assets.volume_arg(config, role, version),
        argumentize("--label", role.labels()),
        optionize(role.options),
        f"{config.repository}:{version}",
        command_words(role.cmd, f"role {role.name} cmd"),
    )


def start(config: Config, role: Role, version: str | None = None) -> str:
    """``docker start <container>``."""
    return docker("start", role.container_name(_version(config, version)))


def container_id_for(container_name: str, *, only_running: bool = False) -> str:
    """Print the id of the container called exactly ``container_name``."""
    return docker(
        "container",
        "ls",
        None if only_running else "--all",
        "--filter",
        word(Raw("name=^"), container_name, Raw("$")),
        "--quiet",
    )


def container_id_for_version(
    config: Config, role: Role, version: str | None = None, *, only_running: bool = False
) -> str:
    """Print the id of the role's container for ``version``."""
    name = role.container_name(_version(config, version))
    return container_id_for(name, only_running=only_running)


def status(config: Config, role: Role, version: str | None = None) -> str:
    """Print the container's health status, or its state when it has no healthcheck."""
    return pipe(
        container_id_for_version(config, role, version),
        xargs(docker("inspect", "--format", HEALTH_STATUS_FORMAT)),
    )


def state(config: Config, role: Role, version: str | None = None) -> str:
    """Print ``<state> [<health>]`` (e.g. ``running starting``, ``exited unhealthy``).

    Unlike ``status`` it tells an exited container from one still starting, so a health wait
    can fail at once instead of sitting out the back-off.
    """
    return pipe(
        container_id_for_version(config, role, version),
        xargs(docker("inspect", "--format", STATE_FORMAT)),
    )


def _stop_command(config: Config) -> str:
    wait = config.stop_wait_time
    return docker("stop", ["-t", wait] if wait is not None else None)


def stop(config: Config, role: Role, version: str | None = None) -> str:
    """Stop the container for ``version``, or the current running one when ``version`` is None.

    ``docker stop -t <stop_wait_time>`` when that is set.
    """
    source = (
        container_id_for_version(config, role, version)
        if version
        else current_running_container_id(config, role)
    )
    return pipe(source, xargs(_stop_command(config)))


def _current_running_container(config: Config, role: Role, output: str) -> str:
    return docker("ps", "--latest", output, filter_args(config, role, ACTIVE_STATUSES))


def current_running_container_id(config: Config, role: Role) -> str:
    """Print the id of the role's latest running (or restarting) container."""
    return _current_running_container(config, role, "--quiet")


def extract_version_from_name(role: Role) -> str:
    """Shell loop turning container names read on stdin into versions."""
    prefix = f"{role.container_prefix}-"
    return word(Raw("while read line; do echo ${line#"), prefix, Raw("}; done"))


def current_running_version(config: Config, role: Role) -> str:
    """Print the version of the role's latest running (or restarting) container."""
    return pipe(
        _current_running_container(config, role, join("--format", NAMES_FORMAT)),
        extract_version_from_name(role),
    )


def running_container_names(config: Config, role: Role) -> str:
    """Print the names of the role's running (or restarting) containers, newest first: the
    first is the current one (``current_running_version``), the others are stale."""
    return docker("ps", filter_args(config, role, ACTIVE_STATUSES), "--format", NAMES_FORMAT)


def list_versions(config: Config, role: Role, statuses: Iterable[str] = ()) -> str:
    """Print the versions of the role's containers (running ones unless ``statuses``)."""
    return pipe(
        docker("ps", "--all" if statuses else None, filter_args(config, role, statuses),
               "--format", NAMES_FORMAT),
        extract_version_from_name(role),
    )  # fmt: skip


def replaced_version(version: str, token: str) -> str:
    """The version a container is renamed to when moved aside: ``<version>_replaced_<token>``."""
    return f"{version}_replaced_{token}"


def rename(config: Config, role: Role, *, version: str, new_version: str) -> str:
    """``docker rename <container for version> <container for new_version>``."""
    return docker("rename", role.container_name(version), role.container_name(new_version))


def tag_latest(config: Config, version: str | None = None) -> str:
    """``docker tag <image:version> <image:latest>``."""
    return docker("tag", f"{config.repository}:{_version(config, version)}", config.latest_image)


def info(config: Config, role: Role | None = None) -> str:
    """``docker ps`` of the service's (role's) containers."""
    return docker("ps", filter_args(config, role))


def containers(config: Config, role: Role | None = None) -> str:
    """``docker container ls --all`` of the service's (role's) containers."""
    return docker("container", "ls", "--all", filter_args(config, role))


def images(config: Config) -> str:
    """``docker image ls <repository>``."""
    return docker("image", "ls", config.repository)


def remove_container(config: Config, role: Role, version: str | None = None) -> str:
    """Remove the role's container for ``version``."""
    return pipe(container_id_for_version(config, role, version), xargs(docker("container", "rm")))


def remove_containers(config: Config, role: Role | None = None) -> str:
    """Remove the service's (role's) stopped containers."""
    return docker("container", "prune", "--force", filter_args(config, role))


def remove_images(config: Config) -> str:
    """Remove every image of the service not used by a container (images carry only the
    ``service`` label)."""
    return docker(
        "image", "prune", "--all", "--force", "--filter", f"label=service={config.service}"
    )
