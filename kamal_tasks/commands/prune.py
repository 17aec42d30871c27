"""Pruning: dangling images, tagged images no container uses, and old stopped containers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands.base import (
    Raw,
    docker,
    double_quoted,
    join,
    pipe,
    single_quote,
    substitution,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config


def _service_filter(config: Config) -> list[str]:
    return ["--filter", f"label=service={config.service}"]


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
        join("tr", "-d", single_quote("\\n")),
    )  # fmt: skip
    keep = double_quoted(
        substitution(active_images),
        config.latest_image,
        Raw("\\|"),
        f"{config.repository}:<none>",
    )
    return pipe(
        docker(
            "image", "ls", _service_filter(config), "--format",
            single_quote("{{.ID}} {{.Repository}}:{{.Tag}}"),
        ),
        join("grep", "-v", "-w", keep),
        Raw("while read image tag; do docker rmi $tag; done"),
    )  # fmt: skip


def stopped_containers(config: Config, retain: int | None = None) -> str:
    """Remove the service's stopped containers but the newest ``retain``
    (default ``retain_containers``)."""
    keep = config.retain_containers if retain is None else retain
    return pipe(
        docker(
            "ps", "-q", "-a", _service_filter(config),
            [["--filter", f"status={status}"] for status in ("created", "exited", "dead")],
        ),
        join("tail", "-n", f"+{keep + 1}"),
        Raw("while read container_id; do docker rm $container_id; done"),
    )  # fmt: skip
