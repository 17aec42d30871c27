"""Read-only commands whose answers are printed host by host (details, versions, audit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext


def show(k: KamalContext, hosts: list[str], command: str, title: str) -> None:
    """Run a read-only command on ``hosts`` and print each host's answer under ``title``."""
    results = k.runner.run(hosts, command)
    for host, result in results.items():
        k.output.result(f"{title} on {host}:\n{result.stdout.rstrip()}\n")
