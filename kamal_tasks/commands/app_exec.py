"""Into the app's containers: their logs, and commands run in a new or the running container."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kamal_tasks.commands.app import (
    _version,
    container_id_for_version,
    current_running_container_id,
    env_args,
)
from kamal_tasks.commands.base import (
    Raw,
    argumentize,
    command_words,
    docker,
    grep_filter,
    logs_options,
    optionize,
    pipe,
    xargs,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config, Role


def logs(
    config: Config,
    role: Role,
    *,
    version: str | None = None,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
    follow: bool = False,
) -> str:
    """Logs of the container for ``version`` (else the current running one), with timestamps."""
    source = (
        container_id_for_version(config, role, version)
        if version
        else current_running_container_id(config, role)
    )
    return pipe(
        source,
        xargs(
            docker(
                "logs",
                "--timestamps",
                *logs_options(since, lines),
                "--follow" if follow else None,
                Raw("2>&1"),
            )
        ),
        grep_filter(grep, grep_options),
    )


def execute_in_new_container(
    config: Config,
    role: Role,
    host: str,
    command: str,
    *,
    interactive: bool = False,
    env: Mapping[str, str] | None = None,
    version: str | None = None,
) -> str:
    """``docker run --rm`` of the image with the role's env, volumes and options, running
    ``command`` (a command line, split into words as a shell would and each word quoted)."""
    return docker(
        "run",
        "-it" if interactive else None,
        "--rm",
        env_args(config, role, host),
        argumentize("--env", env or {}),
        [["--volume", volume] for volume in config.volumes],
        optionize(role.options),
        f"{config.repository}:{_version(config, version)}",
        command_words(command),
    )


def execute_in_existing_container(
    config: Config,
    role: Role,
    command: str,
    *,
    version: str | None = None,
    interactive: bool = False,
    env: Mapping[str, str] | None = None,
) -> str:
    """``docker exec`` of ``command`` (split into words, as ``execute_in_new_container``) in
    the role's container for ``version``."""
    return docker(
        "exec",
        "-it" if interactive else None,
        argumentize("--env", env or {}),
        role.container_name(_version(config, version)),
        command_words(command),
    )
