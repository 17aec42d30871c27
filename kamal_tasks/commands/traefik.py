"""The Traefik proxy container on hosts of roles it routes to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kamal_tasks.commands.base import (
    Raw,
    any_of,
    argumentize,
    container_logs,
    docker,
    logging_args,
    optionize,
    word,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config

CONTAINER_NAME = "traefik"
CONTAINER_PORT = 80
IMAGE_FILTER = ("--filter", "label=org.opencontainers.image.title=Traefik")


def port(config: Config) -> str:
    """``--publish`` value: ``<host_port>:80``."""
    return f"{config.traefik.host_port}:{CONTAINER_PORT}"


def run(config: Config) -> str:
    """``docker run`` of Traefik: publish, docker socket, env, logging, labels, options,
    image, then its args (``--key="value"``)."""
    traefik = config.traefik
    return docker(
        "run",
        "--name",
        CONTAINER_NAME,
        "--detach",
        "--restart",
        "unless-stopped",
        ["--publish", port(config)] if traefik.publish else None,
        "--volume",
        "/var/run/docker.sock:/var/run/docker.sock",
        "--env-file",
        config.traefik_env_file,
        argumentize("--env", traefik.env.clear),
        logging_args(config.logging),
        argumentize("--label", traefik.labels),
        optionize(traefik.options),
        traefik.image,
        optionize(traefik.args, separator="="),
    )


def start() -> str:
    """``docker container start traefik``."""
    return docker("container", "start", CONTAINER_NAME)


def stop() -> str:
    """``docker container stop traefik``."""
    return docker("container", "stop", CONTAINER_NAME)


def start_or_run(config: Config) -> str:
    """Start the existing container, else run a new one."""
    return any_of(start(), run(config))


def info() -> str:
    """``docker ps`` of the traefik container."""
    return docker("ps", "--filter", word(Raw("name=^"), CONTAINER_NAME, Raw("$")))


def logs(**options: Any) -> str:
    """``docker logs traefik`` with timestamps (``--since``, ``--tail``, ``--follow``, grep)."""
    return container_logs(CONTAINER_NAME, **options)


def remove_container() -> str:
    """Remove stopped Traefik containers."""
    return docker("container", "prune", "--force", IMAGE_FILTER)


def remove_image() -> str:
    """Remove unused Traefik images."""
    return docker("image", "prune", "--all", "--force", IMAGE_FILTER)
