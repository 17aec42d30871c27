"""The ``boot`` section: boot hosts in groups (``limit``), ``wait`` seconds apart."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kamal_tasks.configuration.validators import Section, at_least, invalid, seconds
from kamal_tasks.scalars import section_of


def boot_limit(value: Any) -> Any:
    """A number of hosts (at least 1), or a percentage of them like ``"25%"`` (1-100%)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value):
        if not 1 <= int(value[:-1]) <= 100:
            raise invalid("should be a percentage from 1% to 100%")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return at_least(1)(value)
    raise invalid('should be an integer or a percentage like "25%"')


BOOT = Section({"limit": boot_limit, "wait": seconds})


@dataclass(frozen=True)
class Boot:
    """Boot hosts in groups of ``limit`` (a count or "25%"), ``wait`` seconds apart."""

    limit: int | str | None = None
    wait: float | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Boot:
        section = section_of(raw, "boot")
        return cls(section.get("limit"), section.get("wait"))

    def group_size(self, host_count: int) -> int:
        """How many hosts boot at once, out of ``host_count``."""
        if self.limit is None:
            return max(host_count, 1)
        if isinstance(self.limit, str) and self.limit.endswith("%"):
            return max(host_count * int(self.limit[:-1]) // 100, 1)
        return max(int(self.limit), 1)
