"""The ``sshkit`` section: the connection pool (concurrent connects, idle and command timeouts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kamal_tasks.configuration.validators import Section, at_least, positive_number
from kamal_tasks.scalars import section_of

SSHKIT = Section(
    {
        "max_concurrent_starts": at_least(1),
        "pool_idle_timeout": at_least(1),
        "command_timeout": positive_number,
    }
)


@dataclass(frozen=True)
class Sshkit:
    """Connection pool settings: capped concurrent connects, idle and command timeouts."""

    max_concurrent_starts: int = 30
    pool_idle_timeout: int = 900
    command_timeout: float = 1800

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Sshkit:
        section = section_of(raw, "sshkit", cls)
        return cls(
            int(section["max_concurrent_starts"]),
            int(section["pool_idle_timeout"]),
            section["command_timeout"],
        )
