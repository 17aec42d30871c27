"""Booting the app: assets, the deployment barrier, health waits and the cord.

Primary-role containers boot first. Other roles wait at the **barrier** before they boot: it
opens when a primary-role container turns healthy, and closes if one fails, in which case the
waiting roles boot nothing and keep their old containers running. So no new worker code runs
until the new version has proved itself on the primary role.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kamal_tasks.commands import app, assets, auditor, cord
from kamal_tasks.errors import KamalError
from kamal_tasks.flows.health import ContainerUnhealthy, Poller
from kamal_tasks.runner import Interrupted

if TYPE_CHECKING:
    from kamal_tasks.configuration import Role
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host, StopRequest


class Barrier:
    """Opens once a primary-role container is healthy; closes if one fails first."""

    def __init__(self) -> None:
        self._decided = threading.Event()
        self._opened = False
        self._lock = threading.Lock()

    def open(self) -> bool:
        """Open it; True for the call that actually opened it."""
        return self._decide(True)

    def close(self) -> bool:
        """Close it (unless already open); True for the call that actually closed it."""
        return self._decide(False)

    def _decide(self, opened: bool) -> bool:
        with self._lock:
            if self._decided.is_set():
                return False
            self._opened = opened
            self._decided.set()
            return True

    def wait(self, stop: StopRequest | None = None) -> bool:
        """Block until decided; True if open. A stop request ends the wait (``Interrupted``)."""
        while not self._decided.wait(0.1):
            if stop:
                stop.check()
        return self._opened


@dataclass
class BarrierClosed(KamalError):
    """A waiting role's new container was stopped because the primary role failed."""

    primary_role: str
    role: str
    host: str

    def __str__(self) -> str:
        return (
            f"First {self.primary_role} container is unhealthy, "
            f"not booting {self.role} on {self.host}"
        )


def boot(k: KamalContext, version: str) -> dict[str, float]:
    """Boot ``version`` on every selected host (in ``boot.limit`` groups), then tag it latest.

    Returns the seconds each host took to boot, in host order.
    """
    config = k.config
    if any(role.asset_path for role in config.roles):
        k.output.info("Preparing assets...")
        k.runner.on(config.hosts, lambda host: prepare_assets(k, host, version))
    barrier = Barrier() if needs_barrier(k) else None
    k.output.info(f"Booting {config.service} version {version}...")
    timings: dict[str, float] = {}
    for index, group in enumerate(boot_groups(k)):
        if index and config.boot.wait:
            k.output.info(f"Waiting {config.boot.wait}s before booting the next group...")
            k.sleep(float(config.boot.wait))
        timings.update(k.runner.on(group, lambda host: boot_host(k, host, version, barrier)))
    k.runner.on(config.hosts, lambda host: tag_latest(k, host, version))
    return timings


def needs_barrier(k: KamalContext) -> bool:
    """A barrier is needed when the primary role boots alongside other roles."""
    roles = k.config.roles
    return len(roles) > 1 and any(role.primary for role in roles)


def boot_groups(k: KamalContext) -> list[list[str]]:
    """Hosts in boot order (primary role's first), split by ``boot.limit``."""
    hosts = k.config.hosts
    size = k.config.boot.group_size(len(hosts))
    return [hosts[start : start + size] for start in range(0, len(hosts), size)]


def prepare_assets(k: KamalContext, host: Host, version: str) -> None:
    """Extract the new assets and cross-copy them with the running version's."""
    config = k.config
    for role in config.roles_on(host.name):
        if role.asset_path:
            host.run(assets.extract(config, role, version))
            old = host.run(app.current_running_version(config, role), warn=True).stdout.strip()
            host.run(assets.sync_volumes(config, role, old_version=old or None, version=version))


def boot_host(k: KamalContext, host: Host, version: str, barrier: Barrier | None) -> float:
    """Boot every selected role on one host, primary role first; the seconds it took.

    Whatever fails on a host of the primary role closes the barrier (unless another host
    already opened it), so roles waiting elsewhere never block on a decision nobody makes.
    """
    roles = k.config.roles_on(host.name)
    started = time.monotonic()
    try:
        for role in roles:
            RoleBoot(k, host, role, version, barrier).run()
        return time.monotonic() - started
    except BaseException:  # a stop too (closed output, Ctrl-C): never leave others waiting
        if barrier and any(role.primary for role in roles) and barrier.close():
            primary = k.config.primary_role_name
            k.output.host(host.name, f"{primary} failed here: closing the barrier for other roles")
        raise


def tag_latest(k: KamalContext, host: Host, version: str) -> None:
    """Record and tag the booted image as ``latest`` on one host."""
    config = k.config
    image = f"{config.repository}:{version}"
    host.run(audit(k, f"Tagging {image} as the latest image"))
    host.run(app.tag_latest(config, version))


def audit(k: KamalContext, message: str, role: str | None = None) -> str:
    """The command appending ``message`` to the audit log."""
    return auditor.record(k.config, message, performer=k.performer, at=k.now(), role=role)


@dataclass
class RoleBoot:
    """Boots one role's new container on one host and retires the old one."""

    k: KamalContext
    host: Host
    role: Role
    version: str
    barrier: Barrier | None

    @property
    def container(self) -> str:
        return self.role.container_name(self.version)

    started: bool = False
    #: Set once the old container's retirement began (cord cut or stop sent).
    retiring: bool = False

    def run(self) -> None:
        """Start the new version; behind the barrier, retire the old one.

        A failure before the old container starts retiring stops the new one (the old keeps
        serving); so does a SIGINT/SIGTERM, whose stop request is checked once more when the
        new container turned healthy. Once retiring began, the new container stays.
        """
        old_version = self.rename_clashing_container()
        self.wait_at_barrier()
        try:
            self.start_new_version()
            self.k.stop.check()
        except BaseException:  # a stop too (closed output): no half-started container left
            self.abandon_new_version()
            raise
        self.open_barrier()
        if old_version:
            try:
                self.stop_old_version(old_version)
            except Interrupted:
                if not self.retiring:
                    self.abandon_new_version()
                raise

    def abandon_new_version(self) -> None:
        """Stop the new container if it was started, as cleanup (also after a signal)."""
        if self.started:
            with self.k.stop.cleanup():
                self.stop_new_version()
            self.say(f"Stopped the new container {self.container}")

    def rename_clashing_container(self) -> str | None:
        """Move aside a container already named for this version; return the running one."""
        config, host = self.k.config, self.host
        existing = host.run(app.container_id_for_version(config, self.role, self.version))
        if existing.stdout.strip():
            renamed = app.replaced_version(self.version, self.k.new_id())
            self.say(f"Renaming container {self.version} to {renamed} as already deployed")
            host.run(audit(self.k, f"Renaming container {self.version} to {renamed}"))
            host.run(app.rename(config, self.role, version=self.version, new_version=renamed))
        current = host.run(app.current_running_version(config, self.role), warn=True)
        return current.stdout.strip() or None

    def start_new_version(self) -> None:
        """Run the new container and wait until it is healthy."""
        config, host, role = self.k.config, self.host, self.role
        host.run(audit(self.k, f"Booted app version {self.version}", role=role.name))
        cord_id = self.k.new_id() if role.uses_cord else None
        if cord_id:
            host.run(cord.tie(cord.host_directory(config, role, cord_id)))
        hostname = app.container_hostname(host.name, self.k.new_id())
        host.run(
            app.run(
                config, role, host.name, version=self.version, cord_id=cord_id, hostname=hostname
            )
        )
        self.started = True
        self.say(f"Started {self.container}, waiting for it to be healthy...")
        try:
            self.poller().wait_for_healthy(
                lambda: host.run(app.state(config, role, self.version), warn=True).stdout,
                readiness_delay=0 if role.has_healthcheck else config.readiness_delay,
                host=host.name,
                container=self.container,
            )
        except ContainerUnhealthy as error:
            error.details = self.failure_details()
            raise

    def failure_details(self) -> str:
        """The new container's recent logs and health output, for the error report."""
        logs = self.host.run(app.last_output(self.container), warn=True).output
        health = self.host.run(app.health_log(self.container), warn=True).output
        return f"Logs of {self.container}:\n{logs.rstrip()}\nHealth: {health.strip()}"

    def stop_new_version(self) -> None:
        """Stop the new container after a failure (the old one keeps running)."""
        self.host.run(app.stop(self.k.config, self.role, self.version), warn=True)

    def wait_at_barrier(self) -> None:
        """Non-primary roles: wait until a primary-role container is healthy."""
        if self.barrier is None or self.role.primary:
            return
        primary = self.k.config.primary_role_name
        self.say(
            f"Waiting for the first healthy {primary} container before booting {self.role.name}..."
        )
        if not self.barrier.wait(self.k.stop):
            self.say(f"First {primary} container is unhealthy, not booting {self.role.name}")
            raise BarrierClosed(primary, self.role.name, self.host.name)
        self.say(f"First {primary} container is healthy, booting {self.role.name}...")

    def open_barrier(self) -> None:
        """Primary role: a healthy container lets the other roles boot."""
        if self.barrier and self.role.primary and self.barrier.open():
            self.say(f"First {self.role.name} container is healthy, booting other roles")

    def stop_old_version(self, old_version: str) -> None:
        """Retire the old container: cut its cord, wait for unhealthy, pause, stop."""
        config, host, role = self.k.config, self.host, self.role
        old = role.container_name(old_version)
        if role.uses_cord:
            directory = host.run(cord.directory_of(role, old), warn=True).stdout.strip()
            if directory:
                self.retiring = True
                host.run(cord.cut(directory))
                turned = self.poller().wait_for_unhealthy(
                    lambda: host.run(app.state(config, role, old_version), warn=True).stdout,
                    pause=role.healthcheck.traefik_notice_delay,
                )
                if not turned:
                    self.say(f"{old} never turned unhealthy after its cord was cut; stopping it")
        self.retiring = True
        host.run(app.stop(config, role, old_version), warn=True)
        self.say(f"Stopped {old}")
        if role.asset_path:
            host.run(assets.clean_up(config, role, self.version))

    def poller(self) -> Poller:
        return Poller(
            max_attempts=self.role.healthcheck.max_attempts,
            sleep=self.k.sleep,
            report=self.say,
        )

    def say(self, message: str) -> None:
        self.k.output.host(self.host.name, message)
