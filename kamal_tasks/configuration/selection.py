"""The hosts and roles one command acts on (``--hosts``, ``--roles``, ``--primary``).

Kept apart from the parsed configuration: ``Config`` answers what is configured, a
``Selection`` which part of it this command touches.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config
    from kamal_tasks.configuration.role import Role


@dataclass(frozen=True)
class Selection:
    """Host and role patterns (``*`` globs) and whether only the primary host counts."""

    host_patterns: tuple[str, ...] = ()
    role_patterns: tuple[str, ...] = ()
    primary_only: bool = False

    @classmethod
    def parse(cls, hosts: str | None, roles: str | None, primary: bool = False) -> Selection:
        """From the comma lists of ``--hosts``/``--roles`` and the ``--primary`` flag."""
        return cls(_split(hosts), _split(roles), primary)

    @property
    def narrowed(self) -> bool:
        """Whether any of the three options limits the command."""
        return bool(self.host_patterns or self.role_patterns or self.primary_only)

    def role_hosts(self, config: Config, role: Role) -> list[str]:
        """The selected hosts of ``role``."""
        hosts = [h for h in role.host_names if _matches(h, self.host_patterns)]
        if self.primary_only:
            hosts = [h for h in hosts if h == config.primary_host]
        return hosts

    def roles(self, config: Config) -> list[Role]:
        """The selected roles that have selected hosts, primary role first."""
        roles = [
            role
            for role in config.all_roles
            if _matches(role.name, self.role_patterns) and self.role_hosts(config, role)
        ]
        return sorted(roles, key=lambda role: not role.primary)


def unique(items: Iterable[str]) -> list[str]:
    """``items`` once each, in first-seen order."""
    return list(dict.fromkeys(items))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
