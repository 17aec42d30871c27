"""The top-level flows: deploy, redeploy, rollback and setup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import app
from kamal_tasks.errors import VersionUnavailable
from kamal_tasks.flows import accessory, boot, build, env, lock, prune, server, traefik

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


def deploy(k: KamalContext, *, skip_push: bool = False) -> None:
    """Log in, build and push, then inside the lock: pull, Traefik, boot (stale containers
    stopped first), prune.

    The hosts pull inside the lock, so a concurrent deploy's prune cannot remove the image.
    """
    version = k.config.version
    env.check_present(k)
    build.login(k, local=not skip_push)
    if not skip_push:
        build.push(k)
    with lock.held(k, f"Deploying {version}"):
        build.pull(k)
        k.hook("pre-deploy")
        traefik.boot(k)
        timings = boot.boot(k, version, stop_stale=True)
        prune.everything(k)
    k.hook("post-deploy", runtime=k.runtime)
    k.output.info(f"Deployed {k.config.service} {version} in {k.runtime:.1f}s")
    k.output.timings("Boot time per host", timings)


def redeploy(k: KamalContext, *, skip_push: bool = False) -> None:
    """Build and push, then inside the lock pull and boot: no login, Traefik or prune."""
    version = k.config.version
    env.check_present(k)
    if not skip_push:
        build.push(k)
    with lock.held(k, f"Redeploying {version}"):
        build.pull(k)
        k.hook("pre-deploy")
        timings = boot.boot(k, version, stop_stale=True)
    k.hook("post-deploy", runtime=k.runtime)
    k.output.info(f"Redeployed {k.config.service} {version} in {k.runtime:.1f}s")
    k.output.timings("Boot time per host", timings)


def rollback(k: KamalContext) -> None:
    """Boot an earlier version whose containers are still on the hosts.

    The hooks are ``pre-deploy`` and ``post-deploy`` (with ``KAMAL_COMMAND=rollback`` and
    ``KAMAL_RUNTIME``), not a ``post-rollback`` of their own: as in Kamal, whose docs say
    post-deploy runs "after a deploy, redeploy or rollback", so a notifying hook covers all
    three and tells them apart by ``KAMAL_COMMAND``.
    """
    config = k.config
    version = config.version
    with lock.held(k, f"Rolling back to {version}"):
        missing = hosts_missing_version(k, version)
        if missing:
            raise VersionUnavailable(version, missing)
        k.hook("pre-deploy")
        timings = boot.boot(k, version)
    k.hook("post-deploy", runtime=k.runtime)
    k.output.info(f"Rolled back {config.service} to {version} in {k.runtime:.1f}s")
    k.output.timings("Boot time per host", timings)


def hosts_missing_version(k: KamalContext, version: str) -> list[str]:
    """Hosts lacking a container of ``version`` for one of their roles."""
    config = k.config

    def has_version(host: Host) -> bool:
        return all(
            host.run(app.container_id_for_version(config, role, version)).stdout.strip()
            for role in config.roles_on(host.name)
        )

    found = k.runner.on(config.hosts, has_version)
    return [host for host in config.hosts if not found[host]]


def setup(k: KamalContext, *, skip_push: bool = False) -> None:
    """Bootstrap the servers, push env files, boot accessories, then deploy."""
    server.bootstrap(k)
    env.push(k)
    for name in k.config.accessories:
        accessory.boot(k, name, login=True)
    deploy(k, skip_push=skip_push)
