"""Accessories: long-lived service containers (databases, caches) beside the app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.env import NESTED_ENV, Env
from kamal_tasks.configuration.validators import (
    ArrayOf,
    HashOf,
    Section,
    command_line,
    hash_of_anything,
    name,
    strict_string,
    string,
)
from kamal_tasks.scalars import text


@dataclass(frozen=True)
class Accessory:
    """One accessory: its container name, image, hosts and run options."""

    name: str
    service: str
    image: str
    hosts: list[str]
    port: str | None = None
    cmd: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    env: Env = field(default_factory=Env)
    files: tuple[str, ...] = ()
    directories: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()

    @classmethod
    def from_raw(
        cls,
        name: str,
        raw: Mapping[str, Any],
        app_service: str,
        role_hosts: Mapping[str, list[str]],
    ) -> Accessory:
        """Build from ``accessories.<name>``; ``roles`` expand to those roles' hosts."""
        return cls(
            name=name,
            service=text(raw.get("service") or f"{app_service}-{name}"),
            image=text(raw["image"]),
            hosts=_hosts(raw, role_hosts),
            port=str(raw["port"]) if raw.get("port") is not None else None,
            cmd=text(raw["cmd"]) if raw.get("cmd") is not None else None,
            labels=dict(raw.get("labels") or {}),
            options=dict(raw.get("options") or {}),
            env=Env.from_raw(raw.get("env")),
            files=tuple(map(text, raw.get("files") or ())),
            directories=tuple(map(text, raw.get("directories") or ())),
            volumes=tuple(map(text, raw.get("volumes") or ())),
        )

    @property
    def published_port(self) -> str | None:
        """``--publish`` value: ``"3306"`` becomes ``"3306:3306"``."""
        if self.port is None:
            return None
        return self.port if ":" in self.port else f"{self.port}:{self.port}"

    @property
    def env_file(self) -> str:
        """Where its secret env file lives on its hosts, relative to the run directory."""
        return f"env/accessories/{self.service}.env"


def _hosts(raw: Mapping[str, Any], role_hosts: Mapping[str, list[str]]) -> list[str]:
    if raw.get("host"):
        return [raw["host"]]
    if raw.get("hosts"):
        return list(raw["hosts"])
    hosts: list[str] = []
    for role in raw.get("roles") or []:
        hosts += [h for h in role_hosts.get(role, []) if h not in hosts]
    return hosts


# --- schema --------------------------------------------------------------------------------------
def one_placement(accessory: Mapping[Any, Any]) -> str | None:
    """An accessory runs on exactly one of ``host``, ``hosts`` or ``roles``."""
    given = [key for key in ("host", "hosts", "roles") if key in accessory]
    return None if len(given) == 1 else "specify one of host, hosts or roles"


ACCESSORY = Section(
    {
        "service": name(),
        "image": string,
        "host": strict_string,
        "hosts": ArrayOf(strict_string),
        "roles": ArrayOf(strict_string),
        "cmd": command_line,
        "port": string,
        "labels": HashOf(string),
        "options": hash_of_anything,
        "env": NESTED_ENV,
        "files": ArrayOf(string),
        "directories": ArrayOf(string),
        "volumes": ArrayOf(string),
    },
    required=("image",),
    rules=(one_placement,),
)
