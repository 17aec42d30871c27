"""The ``traefik`` section: the proxy container on hosts of routed roles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.env import NESTED_ENV, Env
from kamal_tasks.configuration.validators import (
    HashOf,
    Section,
    boolean,
    hash_of_anything,
    port_number,
    string,
)
from kamal_tasks.scalars import section_of, text

TRAEFIK = Section(
    {
        "image": string,
        "host_port": port_number,
        "publish": boolean,
        "labels": HashOf(string),
        "args": hash_of_anything,
        "options": hash_of_anything,
        "env": NESTED_ENV,
    }
)


DEFAULT_TRAEFIK_ARGS: dict[str, Any] = {"providers.docker": None, "log.level": "DEBUG"}


#: Kamal's catch-all router: with no healthy app container, a request gets a 502 from the
#: ``unavailable`` service rather than a 404. Configured labels replace these by key.
DEFAULT_TRAEFIK_LABELS: dict[str, Any] = {
    "traefik.http.routers.catchall.entryPoints": "http",
    "traefik.http.routers.catchall.rule": "PathPrefix(`/`)",
    "traefik.http.routers.catchall.service": "unavailable",
    "traefik.http.routers.catchall.priority": 1,
    "traefik.http.services.unavailable.loadbalancer.server.port": "0",
}


@dataclass(frozen=True)
class Traefik:
    """The proxy container run on hosts of roles that route through Traefik."""

    image: str = "traefik:v2.11"
    host_port: int = 80
    publish: bool = True
    labels: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TRAEFIK_LABELS))
    args: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TRAEFIK_ARGS))
    options: dict[str, Any] = field(default_factory=dict)
    env: Env = field(default_factory=Env)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Traefik:
        section = section_of(raw, "traefik", cls)
        return cls(
            image=text(section["image"]),
            host_port=int(section["host_port"]),
            publish=section["publish"],
            labels={**DEFAULT_TRAEFIK_LABELS, **(section.get("labels") or {})},
            args={**DEFAULT_TRAEFIK_ARGS, **(section.get("args") or {})},
            options=dict(section.get("options") or {}),
            env=Env.from_raw(section_of(raw, "traefik").get("env")),
        )
