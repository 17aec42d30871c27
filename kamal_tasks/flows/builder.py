"""The buildx builder on this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import builder

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext


def create(k: KamalContext) -> None:
    """Create the buildx builder."""
    k.runner.local(builder.create(k.config))


def remove(k: KamalContext) -> None:
    """Remove the buildx builder."""
    k.runner.local(builder.remove(k.config))


def details(k: KamalContext) -> None:
    """Print the builder's details."""
    k.output.result(k.runner.local(builder.info(k.config)).stdout)
