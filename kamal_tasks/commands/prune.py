"""Pruning: dangling images, tagged images no container uses, and old stopped containers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands.base import docker, pipe, single_quote

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config


def _service_filter(config: Config) -> str:
    return f"--filter label=service={config.service}"


def dangling_images(config: Config) -> str:
    """``docker image prune --force`` of the service's untagged images."""
    return docker("image", "prune", "--force", _service_filter(config))


def tagged_images(config: Config) -> str:
    """Remove the service's tagged images that no container (running or not) uses, keeping
    ``latest``."""
    active_images = pipe(
        docker(
            "container", "ls", "-a", "--format", single_quote("{{.Image}}\\|"),
            _service_filter(config),
        ),
        "tr -d '\\n'",
    )  # fmt: skip
    keep = f"$({active_images}){config.latest_image}\\|{config.repository}:<none>"
    return pipe(
        docker(
            "image", "ls", _service_filter(config), "--format",
            single_quote("{{.ID}} {{.Repository}}:{{.Tag}}"),
        ),
        f'grep -v -w "{keep}"',
        "while read image tag; do docker rmi $tag; done",
    )  # fmt: skip


def stopped_containers(config: Config, retain: int | None = None) -> str:
    """Remove the service's stopped containers but the newest ``retain``
    (default ``retain_containers``)."""
    keep = config.retain_containers if retain is None else retain
    return pipe(
        docker(
            "ps", "-q", "-a", _service_filter(config),
            "--filter status=created --filter status=exited --filter status=dead",
        ),
        f"tail -n +{keep + 1}",
        "while read container_id; do docker rm $container_id; done",
    )  # fmt: skip
