"""Registry login, building and pushing the image, and pulling it onto the hosts."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kamal_tasks.commands import builder, registry, steps
from kamal_tasks.commands.base import docker

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


@dataclass(frozen=True)
class RegistryLogin:
    """``docker login`` with its password, which travels on stdin only."""

    command: str
    password: str
    #: The command for hosts: skipped where these credentials are stored already.
    remote_command: str
    #: base64 of ``user:password``, compared on the host before the password.
    auth: str

    def run_on(self, host: Host) -> None:
        """Log ``host`` in to the registry (unless its docker config holds these credentials)."""
        host.run(self.remote_command, stdin=f"{self.auth}\n{self.password}")


def registry_login(k: KamalContext) -> RegistryLogin:
    """The registry login of this configuration (raises ``MissingSecret`` for the password)."""
    reg = k.config.registry
    username = reg.resolved_username(k.env_values)
    password = reg.resolved_password(k.env_values)
    return RegistryLogin(
        registry.login(k.config, username),
        password,
        registry.login_unless_stored(k.config, username),
        registry.stored_auth(username, password),
    )


def login(k: KamalContext, *, local: bool = True, remote: bool = True) -> None:
    """``docker login`` here and on every host; the password travels on stdin only."""
    credentials = registry_login(k)
    k.output.info("Logging in to the image registry...")
    if local:
        k.runner.local(credentials.command, stdin=credentials.password)
    if remote:
        k.runner.on(k.config.hosts, credentials.run_on)


def logout(k: KamalContext, *, local: bool = True, remote: bool = True) -> None:
    """``docker logout`` here and on every host."""
    if local:
        k.runner.local(registry.logout(k.config))
    if remote:
        k.runner.run(k.config.hosts, registry.logout(k.config))


def push(k: KamalContext) -> None:
    """Build the image here and push it, between the ``pre-build`` and ``post-push`` hooks.

    ``post-push`` runs once the image is in the registry and before any host pulls it, so a
    failing ``post-push`` stops a deploy before anything changes on the hosts.
    """
    k.hook("pre-build")
    build_and_push(k)
    k.hook("post-push")


def build_and_push(k: KamalContext) -> None:
    """``docker buildx build --push`` (native ``docker build`` + push when buildx is absent)."""
    config = k.config
    for path in exposed_env_files(k.root, config.builder.context):
        k.output.warning(
            f"{path} is in the build context and no .dockerignore excludes it: a `COPY . .` "
            "would put your secrets into the image (add `.kamal/.env*` to .dockerignore)"
        )
    k.output.info(f"Building and pushing {config.absolute_image}...")
    if config.builder.kind != "native" and not buildx_available(k):
        k.output.warning("docker buildx is not available here: building natively with docker build")
        k.runner.local(builder.push(native_builder(config)))
        return
    if config.builder.kind != "native":
        k.runner.local(builder.create(config), warn=True)
    k.runner.local(builder.push(config))


def buildx_available(k: KamalContext) -> bool:
    """Whether ``docker buildx`` works on this machine."""
    return k.runner.local(docker("buildx", "version"), warn=True).ok


def pull(k: KamalContext) -> None:
    """Pull the image on every host and check it carries the ``service`` label.

    Inside the deploy lock (the caller's, or its own), so no concurrent prune removes it.
    """
    from kamal_tasks.flows import lock

    config = k.config

    def pull_on(host: Host) -> None:
        host.run(steps.pull_and_check(config))
        k.output.host(host.name, f"Pulled {config.absolute_image}")

    with lock.held(k, f"Pulling {config.version}"):
        k.output.info(f"Pulling {config.absolute_image} on {len(config.hosts)} host(s)...")
        k.runner.on(config.hosts, pull_on)


def deliver(k: KamalContext) -> None:
    """Build and push (``post-push`` runs here, after the push), then pull on every host."""
    push(k)
    pull(k)


def native_builder(config: Config) -> Config:
    """The same configuration with the native ``docker build`` builder."""
    from kamal_tasks.configuration import Config

    section = {**(config.raw.get("builder") or {}), "multiarch": False}
    section.pop("cache", None)
    raw = {**config.raw, "builder": section}
    return Config(raw, config.version, config.destination, config.env_values)


def exposed_env_files(root: Path, context: str) -> list[str]:
    """Local env files (``.kamal/.env*``, ``.env*``) that ``docker build`` would send with the
    build ``context``: inside it and not excluded by its ``.dockerignore``."""
    if "://" in context or context.startswith("git@"):
        return []
    context_dir = (root / context).resolve()
    candidates = [*root.glob(".kamal/.env*"), *root.glob(".env*")]
    ignore = context_dir / ".dockerignore"
    patterns = ignore.read_text(errors="replace").splitlines() if ignore.is_file() else []
    exposed = []
    for path in sorted(candidates):
        try:
            inside = path.resolve().relative_to(context_dir).as_posix()
        except ValueError:
            continue
        if path.is_file() and not dockerignored(patterns, inside):
            exposed.append(path.relative_to(root).as_posix())
    return exposed


def dockerignored(patterns: list[str], path: str) -> bool:
    """Whether ``.dockerignore`` ``patterns`` exclude ``path`` (relative to the context):
    the last matching line wins, ``!`` re-includes, a directory's pattern covers its files."""
    ignored = False
    parts = path.split("/")
    for line in patterns:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip().lstrip("/").removeprefix("./").rstrip("/")
        segments = [segment for segment in pattern.split("/") if segment]
        if any(_match(segments, parts[:n]) for n in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def _match(pattern: list[str], parts: list[str]) -> bool:
    """Match path ``parts`` against pattern segments (``**`` spans any number of them)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(pattern[1:], parts[n:]) for n in range(len(parts) + 1))
    return (
        bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])
    )
