"""Pruning: stopped app containers beyond ``retain_containers``, and unused images."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import prune as prune_commands
from kamal_tasks.commands import steps
from kamal_tasks.flows import lock

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext


def containers(k: KamalContext, retain: int | None = None) -> None:
    """Remove stopped app containers, keeping the newest ``retain``."""
    config = k.config
    keep = int(retain) if retain is not None else config.retain_containers
    with lock.held(k, "Pruning containers"):
        k.runner.run(config.hosts, prune_commands.stopped_containers(config, retain=keep))


def images(k: KamalContext) -> None:
    """Remove dangling images and tagged images no container uses."""
    config = k.config
    with lock.held(k, "Pruning images"):
        k.runner.run(config.hosts, prune_commands.dangling_images(config))
        k.runner.run(config.hosts, prune_commands.tagged_images(config))


def everything(k: KamalContext, retain: int | None = None) -> None:
    """Prune containers, then images: one remote command per host (each part runs whatever
    the previous one did, as separate commands would)."""
    config = k.config
    keep = int(retain) if retain is not None else config.retain_containers
    k.output.info("Pruning old containers and images...")
    with lock.held(k, "Pruning"):
        k.runner.run(config.hosts, steps.prune_all(config, keep))
