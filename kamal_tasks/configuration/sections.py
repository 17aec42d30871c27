"""Typed views of the smaller configuration sections, with Kamal's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.env import Env
from kamal_tasks.errors import MissingSecret
from kamal_tasks.scalars import optional_text, text


def _section(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    return dict(raw.get(key) or {})


@dataclass(frozen=True)
class Registry:
    """The image registry; ``username``/``password`` may name an env variable as a 1-item list."""

    server: str | None = None
    username: str | list[str] | None = None
    password: str | list[str] | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Registry:
        section = _section(raw, "registry")
        return cls(optional_text(section.get("server")), *map(_credential, (
            section.get("username"), section.get("password"))))  # fmt: skip

    def resolved_username(self, values: Mapping[str, str]) -> str:
        """The username, reading the env variable when given as ``[NAME]``."""
        return _lookup(self.username, values)

    def resolved_password(self, values: Mapping[str, str]) -> str:
        """The password, reading the env variable when given as ``[NAME]``."""
        return _lookup(self.password, values)


def _credential(value: Any) -> str | list[str] | None:
    return value if isinstance(value, list) else optional_text(value)


def _lookup(value: str | list[str] | None, values: Mapping[str, str]) -> str:
    if isinstance(value, list):
        name = value[0]
        if name not in values:
            raise MissingSecret(name)
        return values[name]
    return value or ""


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
    traefik_notice_delay: float = 2

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


def health_url(port: int | str, path: str) -> str:
    """Kamal's ``URI.join("http://localhost:#{port}", path)`` for the paths health checks use:
    a relative path is taken from the root, and http's default port 80 is left out, as Ruby
    does (443 stays: the scheme is always http). The path is kept byte for byte."""
    path = str(path)
    authority = "localhost" if str(port).strip() == "80" else f"localhost:{port}"
    return f"http://{authority}{path if path.startswith('/') else '/' + path}"


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


@dataclass(frozen=True)
class Ssh:
    """How to reach the hosts over SSH."""

    user: str = "root"
    port: int = 22
    proxy: str | None = None
    proxy_command: str | None = None
    keys_only: bool = False
    keys: tuple[str, ...] = ()
    key_data: tuple[str, ...] = ()
    log_level: str = "fatal"
    connect_timeout: float = 10
    verify_host_key: str = "accept_new"
    user_known_hosts_file: str = "~/.ssh/known_hosts"
    global_known_hosts_file: str = "/etc/ssh/ssh_known_hosts"

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Ssh:
        section = _section(raw, "ssh")
        proxy = optional_text(section.get("proxy"))
        if proxy and "@" not in proxy:
            proxy = f"root@{proxy}"
        return cls(
            user=text(section.get("user", "root")),
            port=int(section.get("port", 22)),
            proxy=proxy,
            proxy_command=optional_text(section.get("proxy_command")),
            keys_only=bool(section.get("keys_only", False)),
            keys=tuple(map(text, section.get("keys") or ())),
            key_data=tuple(map(text, section.get("key_data") or ())),
            log_level=text(section.get("log_level", "fatal")),
            connect_timeout=section.get("connect_timeout", 10),
            verify_host_key=section.get("verify_host_key", "accept_new"),
            user_known_hosts_file=str(section.get("user_known_hosts_file", "~/.ssh/known_hosts")),
            global_known_hosts_file=str(
                section.get("global_known_hosts_file", "/etc/ssh/ssh_known_hosts")
            ),
        )


@dataclass(frozen=True)
class Sshkit:
    """Connection pool settings: capped concurrent connects, idle and command timeouts."""

    max_concurrent_starts: int = 30
    pool_idle_timeout: int = 900
    command_timeout: float = 1800

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Sshkit:
        section = _section(raw, "sshkit")
        return cls(
            int(section.get("max_concurrent_starts", 30)),
            int(section.get("pool_idle_timeout", 900)),
            section.get("command_timeout", 1800),
        )


@dataclass(frozen=True)
class Boot:
    """Boot hosts in groups of ``limit`` (a count or "25%"), ``wait`` seconds apart."""

    limit: int | str | None = None
    wait: float | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Boot:
        section = _section(raw, "boot")
        return cls(section.get("limit"), section.get("wait"))

    def group_size(self, host_count: int) -> int:
        """How many hosts boot at once, out of ``host_count``."""
        if self.limit is None:
            return max(host_count, 1)
        if isinstance(self.limit, str) and self.limit.endswith("%"):
            return max(host_count * int(self.limit[:-1]) // 100, 1)
        return max(int(self.limit), 1)


@dataclass(frozen=True)
class Builder:
    """How images are built: native ``docker build`` or buildx (multiarch, remote, cache)."""

    multiarch: bool = True
    local_arch: str | None = None
    local_host: str | None = None
    remote_arch: str | None = None
    remote_host: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    context: str = "."
    dockerfile: str = "Dockerfile"
    target: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    ssh: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Builder:
        section = _section(raw, "builder")
        local, remote = section.get("local") or {}, section.get("remote") or {}
        return cls(
            multiarch=section.get("multiarch", True),
            local_arch=_arch(local.get("arch")),
            local_host=optional_text(local.get("host")),
            remote_arch=_arch(remote.get("arch")),
            remote_host=optional_text(remote.get("host")),
            cache={key: text(value) for key, value in (section.get("cache") or {}).items()},
            context=text(section.get("context", ".")),
            dockerfile=text(section.get("dockerfile", "Dockerfile")),
            target=optional_text(section.get("target")),
            args=dict(section.get("args") or {}),
            secrets=tuple(map(text, section.get("secrets") or ())),
            ssh=optional_text(section.get("ssh")),
        )

    @property
    def kind(self) -> str:
        """Kamal's builder choice: native, native_cached, native_remote, multiarch_remote or
        multiarch."""
        if not self.multiarch and not self.cache:
            return "native"
        if self.cache and not self.multiarch:
            return "native_cached"
        if self.local_arch and self.remote_arch:
            return "multiarch_remote"
        if self.remote_arch:
            return "native_remote"
        return "multiarch"


def _arch(value: Any) -> str | None:
    """A platform, or a list of them joined with commas (as docker's ``--platform`` takes)."""
    if isinstance(value, list):
        return ",".join(map(text, value))
    return optional_text(value)


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
        section = _section(raw, "traefik")
        return cls(
            image=text(section.get("image", "traefik:v2.11")),
            host_port=int(section.get("host_port", 80)),
            publish=section.get("publish", True),
            labels={**DEFAULT_TRAEFIK_LABELS, **(section.get("labels") or {})},
            args={**DEFAULT_TRAEFIK_ARGS, **(section.get("args") or {})},
            options=dict(section.get("options") or {}),
            env=Env.from_raw(section.get("env")),
        )
