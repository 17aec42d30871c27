"""The ``logging`` section (root and per role): Docker's log driver and its options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.validators import Section, hash_of_anything, string
from kamal_tasks.scalars import optional_text

LOGGING = Section({"driver": string, "options": hash_of_anything})


@dataclass(frozen=True)
class Logging:
    """``--log-driver``/``--log-opt`` settings; default ``max-size="10m"``."""

    driver: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, *sections: Mapping[str, Any] | None) -> Logging:
        driver: str | None = None
        options: dict[str, Any] = {}
        for section in sections:
            if section:
                driver = optional_text(section.get("driver", driver))
                options = {**options, **(section.get("options") or {})}
        if driver is None and not options:
            options = {"max-size": "10m"}
        return cls(driver, options)
