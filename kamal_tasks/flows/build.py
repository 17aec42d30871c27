"""Registry login, building and pushing the image, and pulling it onto the hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import builder, registry

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


def login(k: KamalContext, *, local: bool = True, remote: bool = True) -> None:
    """``docker login`` here and on every host; the password travels on stdin only."""
    config = k.config
    reg = config.registry
    command = registry.login(config, reg.resolved_username(k.env_values))
    password = reg.resolved_password(k.env_values)
    k.output.info("Logging in to the image registry...")
    if local:
        k.runner.local(command, stdin=password)
    if remote:
        k.runner.on(config.hosts, lambda host: host.run(command, stdin=password))


def logout(k: KamalContext, *, local: bool = True, remote: bool = True) -> None:
    """``docker logout`` here and on every host."""
    if local:
        k.runner.local(registry.logout(k.config))
    if remote:
        k.runner.run(k.config.hosts, registry.logout(k.config))


def push(k: KamalContext) -> None:
    """Build the image here and push it (native ``docker build`` when buildx is absent)."""
    config = k.config
    k.hook("pre-build")
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
    return k.runner.local("docker buildx version", warn=True).ok


def pull(k: KamalContext) -> None:
    """Pull the image on every host and check it carries the ``service`` label."""
    config = k.config
    k.output.info(f"Pulling {config.absolute_image} on {len(config.hosts)} host(s)...")

    def pull_on(host: Host) -> None:
        host.run(builder.pull(config))
        host.run(builder.validate_image(config))
        k.output.host(host.name, f"Pulled {config.absolute_image}")

    k.runner.on(config.hosts, pull_on)


def deliver(k: KamalContext) -> None:
    """Build and push, then pull on every host."""
    push(k)
    pull(k)


def native_builder(config: Config) -> Config:
    """The same configuration with the native ``docker build`` builder."""
    from kamal_tasks.configuration import Config

    section = {**(config.raw.get("builder") or {}), "multiarch": False}
    section.pop("cache", None)
    raw = {**config.raw, "builder": section}
    return Config(raw, config.version, config.destination, config.env_values)
