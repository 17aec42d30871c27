"""Booting the app: assets, the deployment barrier, health waits and the cord.

Primary-role containers boot first. Other roles wait at the **barrier** before they boot: it
opens when a primary-role container turns healthy, and closes if one fails, in which case the
waiting roles boot nothing and keep their old containers running. So no new worker code runs
until the new version has proved itself on the primary role.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING

from kamal_tasks.commands import app, assets, auditor, cord, steps
from kamal_tasks.commands import health as health_commands
from kamal_tasks.commands.base import chain, combine
from kamal_tasks.errors import BarrierClosed, KamalError
from kamal_tasks.flows import health
from kamal_tasks.flows.barrier import Barrier
from kamal_tasks.runner import Interrupted

if TYPE_CHECKING:
    from kamal_tasks.configuration import Role
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


#: Seconds ``docker stop`` waits before killing, when ``stop_wait_time`` is not set.
DOCKER_STOP_WAIT = 10


def boot(k: KamalContext, version: str, *, stop_stale: bool = False) -> dict[str, float]:
    """Boot ``version`` on every selected host (in ``boot.limit`` groups), then tag it latest.

    With ``stop_stale``, running containers of a role other than its newest (left by failed
    deploys) are stopped first, from the same look that finds the current one.
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
        timings.update(
            k.runner.on(group, lambda host: boot_host(k, host, version, barrier, stop_stale))
        )
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


def boot_host(
    k: KamalContext, host: Host, version: str, barrier: Barrier | None, stop_stale: bool = False
) -> float:
    """Boot every selected role on one host, primary role first; the seconds it took.

    Whatever fails on a host of the primary role closes the barrier (unless another host
    already opened it), so roles waiting elsewhere never block on a decision nobody makes.
    """
    roles = k.config.roles_on(host.name)
    started = time.monotonic()
    try:
        for role in roles:
            RoleBoot(k, host, role, version, barrier, stop_stale=stop_stale).run()
        return time.monotonic() - started
    except BaseException:  # a stop too (closed output, Ctrl-C): never leave others waiting
        if barrier and any(role.primary for role in roles) and barrier.close():
            primary = k.config.primary_role_name
            k.output.host(host.name, f"{primary} failed here: closing the barrier for other roles")
        raise


def stop_stale(k: KamalContext, host: Host, role: Role, names: list[str]) -> None:
    """Stop the role's containers ``names`` on ``host``, saying so for each."""
    for name in names:
        k.output.host(host.name, f"Stopping stale container {name}")
        version = name.removeprefix(f"{role.container_prefix}-")
        host.run(app.stop(k.config, role, version), warn=True)


def tag_latest(k: KamalContext, host: Host, version: str) -> None:
    """Record and tag the booted image as ``latest`` on one host (one command)."""
    config = k.config
    image = f"{config.repository}:{version}"
    tag = app.tag_latest(config, version)
    host.run(combine(audit(k, f"Tagging {image} as the latest image"), tag))


def health_retries(role: Role) -> int:
    """Docker's ``--health-retries`` for the role (its ``options``), default 3."""
    try:
        return int(role.options.get("health-retries", 3))
    except (TypeError, ValueError):
        return 3


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
    #: Stop the role's running containers other than the newest before booting.
    stop_stale: bool = False

    @property
    def container(self) -> str:
        return self.role.container_name(self.version)

    started: bool = False
    #: ``monotonic()`` when docker called the new container healthy.
    healthy_at: float | None = None
    #: Set once the old container's retirement began (cord cut or stop sent).
    retiring: bool = False

    def run(self) -> None:
        """Start the new version; behind the barrier, retire the old one.

        A failure before the old container starts retiring stops the new one (the old keeps
        serving); so does a SIGINT/SIGTERM, whose stop request is checked once more when the
        new container turned healthy. Once retiring began, the new container stays.
        """
        old_version, stale = self.rename_clashing_container()
        if self.stop_stale:
            stop_stale(self.k, self.host, self.role, stale)
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
        """Stop the new container if it was started, as cleanup (also after a signal).

        A failing stop is said, not raised: the error that led here is the one to report."""
        if not self.started:
            return
        try:
            with self.k.stop.cleanup():
                self.stop_new_version()
        except KamalError as error:
            self.say(f"Could not stop the new container {self.container} ({error}): stop it")
            return
        self.say(f"Stopped the new container {self.container}")

    def rename_clashing_container(self) -> tuple[str | None, list[str]]:
        """Move aside a container already named for this version; return the running
        version and the names of the role's other (stale) running containers.

        One remote command: the rename (with its audit line) happens only when such a
        container exists, and prints ``RENAMED_MARK`` first; the running names follow,
        newest first.
        """
        config = self.k.config
        renamed = app.replaced_version(self.version, self.k.new_id())
        audit_line = audit(self.k, f"Renaming container {self.version} to {renamed}")
        command = steps.rename_clash_then_running_names(
            config, self.role, self.version, renamed, audit_line
        )
        lines = self.host.run(command).stdout.splitlines()
        if lines and lines[0] == steps.RENAMED_MARK:
            self.say(f"Renaming container {self.version} to {renamed} as already deployed")
            lines = lines[1:]
        names = [line.strip() for line in lines if line.strip()]
        if not names:
            return None, []
        return names[0].removeprefix(f"{self.role.container_prefix}-"), names[1:]

    def start_new_version(self) -> None:
        """Run the new container (audit, cord and ``docker run`` in one command), then wait
        on the server until it is healthy."""
        config, host, role = self.k.config, self.host, self.role
        cord_id = self.k.new_id() if role.uses_cord else None
        hostname = app.container_hostname(host.name, self.k.new_id())
        # Counted as started before the command returns: a timeout or a dropped connection
        # after `docker run` must still stop it (stopping a container that is not there is
        # harmless). After a stop request nothing was started.
        self.k.stop.check()
        self.started = True
        host.run(
            combine(
                audit(self.k, f"Booted app version {self.version}", role=role.name),
                cord.tie(cord.host_directory(config, role, cord_id)) if cord_id else None,
                app.run(
                    config, role, host.name, version=self.version, cord_id=cord_id,
                    hostname=hostname,
                ),
            )
        )  # fmt: skip
        self.say(f"Started {self.container}, waiting for it to be healthy...")
        ago = health.wait_for_healthy(
            host, role, self.container,
            ready_after=0 if role.has_healthcheck else float(config.readiness_delay),
            report=self.say, command_timeout=config.sshkit.command_timeout,
        )  # fmt: skip
        self.healthy_at = monotonic() - ago  # when docker called it healthy

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
        """Retire the old container: cut its cord, wait for unhealthy, pause, stop.

        Traefik's safety margins, between docker's own health events: the new container is
        healthy ``traefik_route_delay`` seconds before the old one turns unhealthy, which is
        then unhealthy ``traefik_notice_delay`` seconds before it is stopped. The old one
        turns unhealthy only after ``retries`` failed checks, ``interval`` apart: the cord is
        cut that much earlier, so that part of the first margin is not waited twice.
        """
        config, host, role = self.k.config, self.host, self.role
        old = role.container_name(old_version)
        stop = chain(
            app.stop(config, role, old_version),
            assets.clean_up(config, role, self.version) if role.asset_path else None,
        )
        if not role.uses_cord:
            self.k.stop.check()  # a stop before retiring keeps the old one, stops the new
            self.retiring = True
            host.run(stop, warn=True)
            self.say(f"Stopped {old}")
            return
        self.pause_until(self.cut_at())  # a stop cuts the pause short ...
        self.k.stop.check()  # ... and then keeps the old container, stopping the new one
        self.retiring = True
        # One command: cut, wait for unhealthy, the notice pause and the stop, on the server.
        notice = float(role.healthcheck.traefik_notice_delay)
        stopping = notice + (config.stop_wait_time or DOCKER_STOP_WAIT)
        command = health_commands.cut_cord_and_wait(
            role, old, budget=health.budget(role, config.sshkit.command_timeout, besides=stopping),
            poll=health.POLL, notice=notice, then=stop,
        )  # fmt: skip
        ended = health.cut_and_wait_for_unhealthy(host, role, command, report=self.say)
        if ended == "unhealthy":
            self.say(f"{old} turned unhealthy; stopped it {notice:g}s later")
        elif ended == "timeout":
            self.say(f"{old} never turned unhealthy after its cord was cut; stopped it")
        else:
            self.say(f"Stopped {old}")

    def cut_at(self) -> float:
        """When to cut the old cord: ``traefik_route_delay`` after the new container turned
        healthy, less the shortest time docker takes to call the old one unhealthy."""
        check = self.role.healthcheck
        retries = health_retries(self.role)
        earliest_unhealthy = max(retries - 1, 0) * check.interval_seconds
        lead = max(float(check.traefik_route_delay) - earliest_unhealthy, 0.0)
        return (self.healthy_at if self.healthy_at is not None else monotonic()) + lead

    def pause_until(self, moment: float) -> None:
        """Sleep until the monotonic ``moment`` (not at all when it has passed)."""
        remaining = moment - monotonic()
        if remaining > 0:
            self.say(f"Cutting the old container's cord in {remaining:.1f}s")
            self.k.sleep(remaining)

    def say(self, message: str) -> None:
        self.k.output.host(self.host.name, message)
