"""Secret env files on the hosts: one per role (host-specific where tags differ), accessory
and Traefik. Everything is resolved and checked locally before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kamal_tasks.commands import env_files
from kamal_tasks.errors import EnvFilesMissing
from kamal_tasks.flows import lock

if TYPE_CHECKING:
    from kamal_tasks.configuration.env import Env
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


@dataclass(frozen=True)
class EnvFile:
    """One secret env file for one host: its path, content and a printable stand-in."""

    path: str
    content: str
    shown: str

    @classmethod
    def of(cls, path: str, secrets: dict[str, str]) -> EnvFile:
        """Render ``secrets`` (raises ``MultilineSecret``); ``shown`` hides every value."""
        shown = " ".join(f"{key}=[REDACTED]" for key in secrets) or "(empty)"
        return cls(path, env_files.content(secrets), shown)


def planned_files(k: KamalContext) -> dict[str, list[EnvFile]]:
    """Every host's env files, secrets resolved (raises ``MissingSecret``/``MultilineSecret``)."""
    config = k.config
    files: dict[str, list[EnvFile]] = {host: [] for host in config.hosts}

    def add(host: str, path: str, env: Env) -> None:
        files.setdefault(host, []).append(EnvFile.of(path, env.secrets(k.env_values)))

    for role in config.roles:
        for host in config.role_hosts(role):
            add(host, env_files.role_env_file(config, role), role.env(host))
    for host in config.traefik_hosts:
        add(host, env_files.traefik_env_file(config), config.traefik.env)
    if not config.selection.narrowed:
        for accessory in config.accessories.values():
            for host in accessory.hosts:
                add(host, env_files.accessory_env_file(config, accessory), accessory.env)
    return files


def push(k: KamalContext) -> None:
    """Write each host's env files, inside the deploy lock: mode 0400 from the first byte,
    replaced atomically, the content on stdin only (see ``env_files.write``)."""
    files = planned_files(k)

    def write(host: Host) -> None:
        for file in files[host.name]:
            host.run(env_files.write(file.path), stdin=file.content)
            k.output.host(host.name, f"Wrote {file.path} ({file.shown})")

    with lock.held(k, "Pushing env files"):
        k.output.info(f"Pushing env files to {len(files)} host(s)...")
        k.runner.on(list(files), write)


def delete(k: KamalContext) -> None:
    """Remove the env files from every host, inside the deploy lock."""
    with lock.held(k, "Deleting env files"):
        _delete(k)


def _delete(k: KamalContext) -> None:
    config = k.config

    def remove(host: Host) -> None:
        own = [env_files.role_env_file(config, role) for role in config.roles_on(host.name)]
        if host.name in config.traefik_hosts:
            own.append(env_files.traefik_env_file(config))
        own += [
            env_files.accessory_env_file(config, accessory)
            for accessory in config.accessories.values()
            if host.name in accessory.hosts
        ]
        for path in own:
            host.run(env_files.remove(path))
            k.output.host(host.name, f"Removed {path}")

    hosts = list(
        dict.fromkeys([*config.hosts, *(h for a in config.accessories.values() for h in a.hosts)])
    )
    k.runner.on(hosts, remove)


def check_present(k: KamalContext) -> None:
    """Fail before anything changes when a role's env file is missing on one of its hosts."""
    config = k.config

    def missing_on(host: Host) -> list[str]:
        paths = [env_files.role_env_file(config, role) for role in config.roles_on(host.name)]
        return [path for path in paths if not host.run(env_files.exists(path), warn=True).ok]

    missing = {
        host: paths for host, paths in k.runner.on(config.hosts, missing_on).items() if paths
    }
    if missing:
        raise EnvFilesMissing(missing)
