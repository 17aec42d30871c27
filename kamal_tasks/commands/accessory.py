"""Accessory containers (databases, caches): run, start, stop, inspect, exec and remove them,
plus the host files and directories they mount (under ``$PWD/<accessory service>``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kamal_tasks.commands import env_files
from kamal_tasks.commands.base import (
    Raw,
    argumentize,
    command_words,
    container_logs,
    docker,
    join,
    logging_args,
    make_directory,
    optionize,
    word,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Accessory, Config


def service_data_directory(accessory: Accessory, path: str = "") -> Raw:
    """``$PWD/<accessory service><path>``: where its files and relative directories live (a
    shell word: ``$PWD`` expands on the host, the rest is quoted)."""
    return word(Raw("$PWD/"), f"{accessory.service}{path}")


def _split(mapping: str) -> tuple[str, str]:
    source, _, target = mapping.partition(":")
    return source, target


def files(accessory: Accessory) -> dict[str, str]:
    """Local file -> remote path (relative to the home directory) of each ``files`` entry."""
    return {local: f"{accessory.service}{remote}" for local, remote in map(_split, accessory.files)}


def directories(accessory: Accessory) -> dict[str, str]:
    """Host path -> container path of each ``directories`` entry (relative host paths under
    the service data directory, as ``Raw`` shell words)."""
    result: dict[str, str] = {}
    for host_path, container_path in map(_split, accessory.directories):
        if not host_path.startswith("/"):
            host_path = service_data_directory(accessory, f"/{host_path}")
        result[host_path] = container_path
    return result


def _mapping(host: str, target: str) -> str:
    """``host:target`` as one word: a value, or a shell word when ``host`` is one."""
    return word(host, f":{target}") if isinstance(host, Raw) else f"{host}:{target}"


def volumes(accessory: Accessory) -> list[str]:
    """``--volume`` values: its own volumes, then its files, then its directories."""
    file_volumes = [
        service_data_directory(accessory, f"{remote}:{remote}")
        for _, remote in map(_split, accessory.files)
    ]
    directory_volumes = [_mapping(host, target) for host, target in directories(accessory).items()]
    return [*accessory.volumes, *file_volumes, *directory_volumes]


def labels(accessory: Accessory) -> dict[str, object]:
    """``service=<accessory service>`` then its own labels."""
    return {"service": accessory.service, **accessory.labels}


def env_args(config: Config, accessory: Accessory) -> str:
    """``--env-file <accessory env file>`` then ``--env KEY="value"`` per clear value."""
    return join(
        "--env-file",
        env_files.accessory_env_file(config, accessory),
        argumentize("--env", accessory.env.clear),
    )


def run(config: Config, accessory: Accessory) -> str:
    """``docker run`` of the accessory: logging, publish, env, volumes, labels, options,
    image, cmd (split into words as a shell would, each quoted)."""
    return docker(
        "run",
        "--name",
        accessory.service,
        "--detach",
        "--restart",
        "unless-stopped",
        logging_args(config.logging),
        ["--publish", accessory.published_port] if accessory.published_port else None,
        env_args(config, accessory),
        [["--volume", volume] for volume in volumes(accessory)],
        argumentize("--label", labels(accessory)),
        optionize(accessory.options),
        accessory.image,
        command_words(accessory.cmd, f"accessory {accessory.name} cmd"),
    )


def start(accessory: Accessory) -> str:
    """``docker container start <accessory service>``."""
    return docker("container", "start", accessory.service)


def stop(accessory: Accessory) -> str:
    """``docker container stop <accessory service>``."""
    return docker("container", "stop", accessory.service)


def _service_filter(accessory: Accessory) -> list[str]:
    return ["--filter", f"label=service={accessory.service}"]


def info(accessory: Accessory) -> str:
    """``docker ps`` of the accessory's container."""
    return docker("ps", _service_filter(accessory))


def logs(accessory: Accessory, **options: Any) -> str:
    """``docker logs <accessory service>`` with timestamps."""
    return container_logs(accessory.service, **options)


def execute_in_existing_container(
    accessory: Accessory, command: str, *, interactive: bool = False
) -> str:
    """``docker exec`` of ``command`` (a command line, split into words as a shell would and
    each quoted) in the accessory."""
    return docker("exec", "-it" if interactive else None, accessory.service, command_words(command))


def execute_in_new_container(
    config: Config, accessory: Accessory, command: str, *, interactive: bool = False
) -> str:
    """``docker run --rm`` of the accessory's image with its env and volumes, running
    ``command`` (split into words, as ``execute_in_existing_container``)."""
    return docker(
        "run",
        "-it" if interactive else None,
        "--rm",
        env_args(config, accessory),
        [["--volume", volume] for volume in volumes(accessory)],
        accessory.image,
        command_words(command),
    )


def make_directories(accessory: Accessory) -> str:
    """``mkdir -p`` of every host directory in ``directories`` ("" when there are none)."""
    return make_directory(*directories(accessory)) if accessory.directories else ""


def make_file_directory(remote_file: str) -> str:
    """``mkdir -p`` of the directory a remote file is uploaded into."""
    return make_directory(remote_file.rpartition("/")[0] or ".")


def chmod_file(remote_file: str) -> str:
    """``chmod 755 <remote file>`` after upload (as Kamal does)."""
    return join("chmod", "755", remote_file)


def remove_service_directory(accessory: Accessory) -> str:
    """``rm -rf <accessory service>``: its uploaded files and data directories."""
    return join("rm", "-rf", accessory.service)


def remove_container(accessory: Accessory) -> str:
    """Remove the accessory's stopped container."""
    return docker("container", "prune", "--force", _service_filter(accessory))


def remove_image(accessory: Accessory) -> str:
    """``docker image rm --force <image>``."""
    return docker("image", "rm", "--force", accessory.image)
