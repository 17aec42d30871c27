"""Configuration: parse ``config/deploy.yml``, validate it, and derive what later code needs.

``Config`` answers questions (``role.hosts``, ``config.primary_host``, ``role.env(host)``); it
performs no I/O after loading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from kamal_tasks.configuration.accessory import Accessory
from kamal_tasks.configuration.boot import Boot
from kamal_tasks.configuration.builder import Builder
from kamal_tasks.configuration.env import Env, tag_envs
from kamal_tasks.configuration.healthcheck import Healthcheck
from kamal_tasks.configuration.loader import load_raw
from kamal_tasks.configuration.logging import Logging
from kamal_tasks.configuration.registry import Registry
from kamal_tasks.configuration.role import Role, merge_hosts, role_specs
from kamal_tasks.configuration.selection import Selection, unique
from kamal_tasks.configuration.settings import Settings
from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.configuration.sshkit import Sshkit
from kamal_tasks.configuration.traefik import Traefik
from kamal_tasks.errors import NoMatch, UnknownAccessory
from kamal_tasks.scalars import text

__all__ = ["Config", "Role", "Accessory", "Env", "UnknownAccessory"]


class Config(Settings):
    """The validated, effective configuration for one destination and version.

    ``version`` may be given as a function: it is then called the first time the version is
    needed, so tasks that never need one (``config``, ``docs``, ``lock.status``) work where
    none can be determined.
    """

    def __init__(
        self,
        raw: dict[str, Any],
        version: str | Callable[[], str],
        destination: str | None = None,
        env_values: Mapping[str, str] | None = None,
        selection: Selection | None = None,
    ) -> None:
        self.raw = raw
        self._version = version
        self.destination = destination
        self.env_values = dict(env_values or {})
        #: The hosts and roles this command acts on (everything by default).
        self.selection = selection or Selection()

    @cached_property
    def version(self) -> str:
        """The app version acted on."""
        return self._version() if callable(self._version) else self._version

    @classmethod
    def load(
        cls,
        config_file: Path,
        *,
        version: str | Callable[[], str],
        destination: str | None = None,
        env_values: Mapping[str, str] | None = None,
    ) -> Config:
        """Read, merge and validate the configuration (raises ``ConfigurationError``)."""
        from kamal_tasks.configuration.validation import check

        raw = load_raw(config_file, destination, env_values)
        check(raw)
        return cls(raw, version, destination, dict(env_values or {}))

    def select(
        self, hosts: str | None = None, roles: str | None = None, primary: bool = False
    ) -> Config:
        """A copy limited by ``--hosts``/``--roles`` (comma lists with ``*``) or ``--primary``."""
        selection = Selection.parse(hosts, roles, primary)
        selected = Config(self.raw, self._version, self.destination, self.env_values, selection)
        if selection.host_patterns and not selected.hosts:
            raise NoMatch("hosts", hosts or "")
        if selection.role_patterns and not selected.roles:
            raise NoMatch("roles", roles or "")
        return selected

    # --- identity -----------------------------------------------------------------------
    @property
    def service(self) -> str:
        """The service name: prefix of containers, label on images."""
        return self.raw["service"]

    @property
    def image(self) -> str:
        """The image name without registry server or tag."""
        return text(self.raw["image"])

    @cached_property
    def registry(self) -> Registry:
        """The registry section."""
        return Registry.from_raw(self.raw)

    @property
    def repository(self) -> str:
        """``server/image`` (just ``image`` for Docker Hub)."""
        return "/".join(part for part in (self.registry.server, self.image) if part)

    @property
    def absolute_image(self) -> str:
        """The image reference for this version."""
        return f"{self.repository}:{self.version}"

    @property
    def latest_image(self) -> str:
        """The ``latest`` tag of the image."""
        return f"{self.repository}:latest"

    @property
    def service_and_destination(self) -> str:
        """``service`` or ``service-destination``: names the lock and the audit log."""
        return "-".join(part for part in (self.service, self.destination) if part)

    @property
    def service_with_version(self) -> str:
        """``service-version``."""
        return f"{self.service}-{self.version}"

    # --- roles and hosts ------------------------------------------------------------------
    @property
    def primary_role_name(self) -> str:
        """The role booted first and behind the deployment barrier (default ``web``)."""
        return text(self.raw.get("primary_role", "web"))

    @cached_property
    def all_roles(self) -> list[Role]:
        """Every role in configuration order, ignoring ``--hosts``/``--roles``."""
        root_env = Env.from_raw(self.raw.get("env"))
        tags = tag_envs(self.raw)
        return [
            Role(
                name=name,
                service=self.service,
                destination=self.destination,
                hosts=merge_hosts(entries),
                primary=name == self.primary_role_name,
                specialized=settings,
                root_env=root_env,
                tag_envs=tags,
                root_healthcheck=dict(self.raw.get("healthcheck") or {}),
                root_logging=dict(self.raw.get("logging") or {}),
                root_labels=dict(self.raw.get("labels") or {}),
                root_asset_path=self.raw.get("asset_path"),
            )
            for name, (entries, settings) in role_specs(self.raw.get("servers")).items()
        ]

    @property
    def roles(self) -> list[Role]:
        """The selected roles that have selected hosts, primary role first."""
        return self.selection.roles(self)

    def role(self, name: str) -> Role:
        """The role called ``name``."""
        return next(role for role in self.all_roles if role.name == name)

    @property
    def primary_role(self) -> Role:
        """The primary role."""
        return self.role(self.primary_role_name)

    def role_hosts(self, role: Role) -> list[str]:
        """The selected hosts of ``role``."""
        return self.selection.role_hosts(self, role)

    @property
    def hosts(self) -> list[str]:
        """Every selected host, once each, in role order."""
        return unique(h for role in self.roles for h in self.role_hosts(role))

    @property
    def primary_host(self) -> str:
        """The first host of the primary role (the lock lives here)."""
        return (self.primary_role.host_names or self.all_hosts)[0]

    @property
    def all_hosts(self) -> list[str]:
        """Every host of every role, once each, ignoring the selection."""
        return unique(h for role in self.all_roles for h in role.host_names)

    @property
    def hosts_with_accessories(self) -> list[str]:
        """The selected hosts, then every accessory's hosts (what bootstrap prepares)."""
        return unique([*self.hosts, *(h for a in self.accessories.values() for h in a.hosts)])

    def roles_on(self, host: str) -> list[Role]:
        """The selected roles that run on ``host``."""
        return [role for role in self.roles if host in self.role_hosts(role)]

    @property
    def traefik_hosts(self) -> list[str]:
        """Selected hosts of roles routed through Traefik."""
        return unique(
            h for role in self.roles if role.running_traefik for h in self.role_hosts(role)
        )

    # --- accessories ----------------------------------------------------------------------
    @cached_property
    def accessories(self) -> dict[str, Accessory]:
        """Accessories by name."""
        role_hosts = {role.name: role.host_names for role in self.all_roles}
        return {
            name: Accessory.from_raw(name, raw, self.service, role_hosts)
            for name, raw in (self.raw.get("accessories") or {}).items()
        }

    def accessory(self, name: str) -> Accessory:
        """The accessory called ``name`` (raises ``UnknownAccessory`` listing the options)."""
        if name not in self.accessories:
            raise UnknownAccessory(name, list(self.accessories))
        return self.accessories[name]

    # --- sections -------------------------------------------------------------------------
    @cached_property
    def traefik(self) -> Traefik:
        """The traefik section."""
        return Traefik.from_raw(self.raw)

    @cached_property
    def healthcheck(self) -> Healthcheck:
        """The root healthcheck section."""
        return Healthcheck.from_raw(self.raw.get("healthcheck"))

    @cached_property
    def ssh(self) -> Ssh:
        """The ssh section."""
        return Ssh.from_raw(self.raw)

    @cached_property
    def sshkit(self) -> Sshkit:
        """The sshkit section."""
        return Sshkit.from_raw(self.raw)

    @cached_property
    def boot(self) -> Boot:
        """The boot section."""
        return Boot.from_raw(self.raw)

    @cached_property
    def builder(self) -> Builder:
        """The builder section."""
        return Builder.from_raw(self.raw)

    @cached_property
    def logging(self) -> Logging:
        """The root logging section."""
        return Logging.from_raw(self.raw.get("logging"))

    # --- paths on the hosts (the plain settings: ``settings.py``) -------------------------
    @property
    def lock_dir(self) -> str:
        """The deploy lock directory on the primary host."""
        return self.run_path(f"locks/{self.service_and_destination}")

    @property
    def audit_log(self) -> str:
        """The audit log file on each host."""
        return self.run_path(f"{self.service_and_destination}-audit.log")
