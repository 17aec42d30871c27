"""Servers and roles: hosts (with tags) per role, and everything derived per role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.env import NESTED_ENV, Env
from kamal_tasks.configuration.healthcheck import HEALTHCHECK, Healthcheck
from kamal_tasks.configuration.logging import LOGGING, Logging
from kamal_tasks.configuration.validators import (
    ArrayOf,
    HashOf,
    Section,
    boolean,
    command_line,
    errors_at,
    hash_of_anything,
    invalid,
    raise_all,
    strict_string,
    string,
)
from kamal_tasks.configuration.validators import (
    name as named,
)
from kamal_tasks.scalars import optional_text


@dataclass(frozen=True)
class TaggedHost:
    """A host name or address and the tags given to it in ``servers``."""

    name: str
    tags: tuple[str, ...] = ()


def parse_host(entry: Any) -> TaggedHost:
    """``"1.1.1.1"``, ``{"1.1.1.2": "tag1"}`` or ``{"1.1.1.3": ["tag1", "tag2"]}``."""
    if isinstance(entry, Mapping):
        ((name, tags),) = entry.items()
        return TaggedHost(str(name), (tags,) if isinstance(tags, str) else tuple(tags or ()))
    return TaggedHost(str(entry))


def merge_hosts(entries: list[Any]) -> list[TaggedHost]:
    """Parse host entries; a host listed twice keeps one place and gathers all its tags."""
    merged: dict[str, list[str]] = {}
    for host in map(parse_host, entries):
        tags = merged.setdefault(host.name, [])
        tags.extend(tag for tag in host.tags if tag not in tags)
    return [TaggedHost(name, tuple(tags)) for name, tags in merged.items()]


@dataclass(frozen=True)
class Role:
    """One role of the app: its hosts and how its containers are run."""

    name: str
    service: str
    destination: str | None
    hosts: list[TaggedHost]
    primary: bool
    specialized: dict[str, Any] = field(default_factory=dict)
    root_env: Env = field(default_factory=Env)
    tag_envs: dict[str, Env] = field(default_factory=dict)
    root_healthcheck: dict[str, Any] = field(default_factory=dict)
    root_logging: dict[str, Any] = field(default_factory=dict)
    root_labels: dict[str, Any] = field(default_factory=dict)
    root_asset_path: str | None = None

    @property
    def host_names(self) -> list[str]:
        """The role's hosts, in configuration order."""
        return [host.name for host in self.hosts]

    @property
    def container_prefix(self) -> str:
        """``service-role[-destination]``: the stem of container names and the Traefik service."""
        return "-".join(part for part in (self.service, self.name, self.destination) if part)

    def container_name(self, version: str) -> str:
        """The name of this role's container for ``version``."""
        return f"{self.container_prefix}-{version}"

    @property
    def running_traefik(self) -> bool:
        """Whether Traefik routes to this role: its ``traefik`` key, else only the primary role."""
        return bool(self.specialized.get("traefik", self.primary))

    @property
    def cmd(self) -> str | None:
        """The command given after the image, if any."""
        return optional_text(self.specialized.get("cmd"))

    @property
    def options(self) -> dict[str, Any]:
        """Extra ``docker run`` options."""
        return dict(self.specialized.get("options") or {})

    @property
    def custom_healthcheck(self) -> bool:
        """Whether the role sets a healthcheck of its own."""
        return bool(self.specialized.get("healthcheck"))

    @property
    def healthcheck(self) -> Healthcheck:
        """The root healthcheck with the role's merged over it."""
        return Healthcheck.from_raw(self.root_healthcheck, self.specialized.get("healthcheck"))

    @property
    def has_healthcheck(self) -> bool:
        """Whether its containers carry a docker health command."""
        return self.running_traefik or self.custom_healthcheck

    @property
    def uses_cord(self) -> bool:
        """Whether old containers are retired by cutting their cord."""
        return self.running_traefik and self.healthcheck.cord is not None

    @property
    def logging(self) -> Logging:
        """The root logging with the role's merged over it."""
        return Logging.from_raw(self.root_logging, self.specialized.get("logging"))

    @property
    def asset_path(self) -> str | None:
        """The path inside the container whose assets are bridged across versions.

        The root ``asset_path`` applies to roles routed through Traefik (the ones serving
        requests, as in Kamal); any role may set its own.
        """
        if "asset_path" in self.specialized:
            return optional_text(self.specialized["asset_path"])
        return optional_text(self.root_asset_path) if self.running_traefik else None

    def env(self, host: str) -> Env:
        """The env of this role's container on ``host``: root, role, then the host's tags."""
        env = self.root_env.merge(Env.from_raw(self.specialized.get("env")))
        for tag in self.host_tags(host):
            if tag in self.tag_envs:
                env = env.merge(self.tag_envs[tag])
        return env

    def host_tags(self, host: str) -> tuple[str, ...]:
        """The tags given to ``host`` in this role."""
        return next((h.tags for h in self.hosts if h.name == host), ())

    def labels(self) -> dict[str, Any]:
        """Container labels: service/role/destination, Traefik's for routed roles, then custom."""
        labels: dict[str, Any] = {
            "service": self.service,
            "role": self.name,
            "destination": self.destination,
        }
        if self.running_traefik:
            labels.update(self.traefik_labels())
        labels.update(self.root_labels)
        labels.update(self.specialized.get("labels") or {})
        return labels

    def traefik_labels(self) -> dict[str, str]:
        """Kamal's default routing labels for this role's Traefik service."""
        name = self.container_prefix
        return {
            f"traefik.http.services.{name}.loadbalancer.server.scheme": "http",
            f"traefik.http.routers.{name}.rule": "PathPrefix(`/`)",
            f"traefik.http.routers.{name}.priority": "2",
            f"traefik.http.middlewares.{name}-retry.retry.attempts": "5",
            f"traefik.http.middlewares.{name}-retry.retry.initialinterval": "500ms",
            f"traefik.http.routers.{name}.middlewares": f"{name}-retry@docker",
        }

    @property
    def env_file(self) -> str:
        """Where the role's secret env file lives on its hosts, relative to the home dir."""
        return f"env/roles/{self.container_prefix}.env"


def role_specs(servers: Any) -> dict[str, tuple[list[Any], dict[str, Any]]]:
    """Split ``servers`` into role name -> (host entries, role-specific settings)."""
    if isinstance(servers, list):
        return {"web": (servers, {})}
    specs: dict[str, tuple[list[Any], dict[str, Any]]] = {}
    for name, value in (servers or {}).items():
        if isinstance(value, Mapping):
            settings = {k: v for k, v in value.items() if k != "hosts"}
            specs[str(name)] = (list(value.get("hosts") or []), settings)
        else:
            specs[str(name)] = (list(value or []), {})
    return specs


# --- schema --------------------------------------------------------------------------------------
def host_tags(value: Any) -> Any:
    """A host's tags: one tag, or a list of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ArrayOf(strict_string)(value)
    raise invalid("should be a string or an array")


def host(value: Any) -> Any:
    """A host: ``1.1.1.1``, or a one-entry mapping ``1.1.1.1: tag`` / ``1.1.1.1: [tags]``."""
    if isinstance(value, dict):
        if len(value) != 1:
            raise invalid("multiple hosts found")
        ((name, tags),) = value.items()
        raise_all(errors_at(host_tags, tags, [name]))
        return value
    return strict_string(value)


HOSTS = ArrayOf(host)


ROLE = Section(
    {
        "hosts": HOSTS,
        "traefik": boolean,
        "cmd": command_line,
        "options": hash_of_anything,
        "healthcheck": HEALTHCHECK,
        "logging": LOGGING,
        "labels": HashOf(string),
        "env": NESTED_ENV,
        "asset_path": string,
    }
)


def role(value: Any) -> Any:
    """A role: a list of hosts, or a mapping with ``hosts`` and role settings."""
    if isinstance(value, list):
        return HOSTS(value)
    if isinstance(value, dict):
        return ROLE(value)
    raise invalid("should be an array or a hash")


def servers(value: Any) -> Any:
    """A list of hosts (the single ``web`` role), or a mapping of role name -> role."""
    if isinstance(value, list):
        return HOSTS(value)
    if isinstance(value, dict):
        return HashOf(role, keys=named("role name"))(value)
    raise invalid("should be an array or a hash")
