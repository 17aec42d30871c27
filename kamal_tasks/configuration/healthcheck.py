"""The ``healthcheck`` section (root and per role): how a new container proves it is healthy."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kamal_tasks.configuration.validators import Section, at_least, port_number, seconds, string
from kamal_tasks.scalars import text

HEALTHCHECK = Section(
    {
        "cmd": string,
        "interval": string,
        "max_attempts": at_least(1),
        "port": port_number,
        "path": string,
        "cord": string,
        "log_lines": at_least(0),
        "traefik_route_delay": seconds,
        "traefik_notice_delay": seconds,
    }
)


@dataclass(frozen=True)
class Healthcheck:
    """Health settings; a role's ``healthcheck`` merges over the root's."""

    path: str = "/up"
    port: int = 3000
    max_attempts: int = 7
    interval: str = "1s"
    cord: str | None = "/tmp/kamal-cord"
    cmd: str | None = None
    log_lines: int = 50
    traefik_route_delay: float = 5
    traefik_notice_delay: float = 5

    @classmethod
    def from_raw(cls, *sections: Mapping[str, Any] | None) -> Healthcheck:
        merged: dict[str, Any] = {}
        for section in sections:
            merged.update(section or {})
        if merged.get("cord") is False:
            merged["cord"] = None
        for key in ("path", "interval", "cord", "cmd"):
            if merged.get(key) is not None:
                merged[key] = text(merged[key])
        known = cls.__dataclass_fields__
        return cls(**{key: value for key, value in merged.items() if key in known})

    @property
    def command(self) -> str:
        """The health command: ``cmd`` or Kamal's default curl against ``port`` and ``path``
        (the URL quoted as one word for the container's shell)."""
        from kamal_tasks.commands.base import Raw, join

        return self.cmd or join("curl", "-f", health_url(self.port, self.path), Raw("|| exit 1"))

    @property
    def interval_seconds(self) -> float:
        """``interval`` in seconds (a Docker duration like ``1s``, ``500ms``, ``1m30s``; a bare
        number is seconds; 1 when it cannot be read)."""
        return duration_seconds(self.interval, default=1.0)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration_seconds(value: Any, *, default: float) -> float:
    """A Docker/Go duration (``1m30s``) or a bare number of seconds, in seconds."""
    written = str(value).strip()
    try:
        return float(written)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(written)
    if not parts or "".join(number + unit for number, unit in parts) != written:
        return default
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def health_url(port: int | str, path: str) -> str:
    """Kamal's ``URI.join("http://localhost:#{port}", path)`` for the paths health checks use:
    a relative path is taken from the root, and http's default port 80 is left out, as Ruby
    does (443 stays: the scheme is always http). The path is kept byte for byte."""
    path = str(path)
    authority = "localhost" if str(port).strip() == "80" else f"localhost:{port}"
    return f"http://{authority}{path if path.startswith('/') else '/' + path}"
