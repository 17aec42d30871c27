"""SIGINT and SIGTERM sent to ``deploy`` (the CLI, a real process) while it boots the new
version: exit 130 / 143, the lock released, no new container started after the signal and
none left running, the previous version still serving. Also: env files replaced 0400."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import pytest

from integration.harness import Sandbox
from integration.project import (
    HEALTH_CMD,
    Project,
    checked_exec,
    describe,
    inspect,
    make_project,
    no_traceback,
)

SERVICE = "e2esignals"
#: The first health check only answers after docker's 30 s check timeout: the new container
#: stays "starting" for half a minute, a window for the signal while the deploy boots it.
SLOW_HEALTH_CMD = f"sleep 40; {HEALTH_CMD}"
ENV_FILE = f"/root/.kamal/env/roles/{SERVICE}-web.env"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1 and h2; v1 deployed with ``setup``."""
    sandbox = clean_servers
    h1, h2, _ = sandbox.hosts
    project = make_project(
        tmp_path_factory.mktemp("signals"), sandbox, SERVICE, [h1, h2],
        env={"secret": ["APP_SECRET"]}, secrets={"APP_SECRET": "first-0b1c"},
    )  # fmt: skip
    project.kamal("setup", version="v1")
    return project


@dataclass
class Interrupted:
    """An interrupted ``deploy``: its result and when (epoch seconds) the signal was sent."""

    result: subprocess.CompletedProcess[str]
    signalled_at: float
    version: str


def interrupt_deploy(project: Project, version: str, signals: list[int]) -> Interrupted:
    """``deploy --version VERSION`` with a slow health check; once the new container was
    started on every host (no ``docker run`` is in flight: all wait for health), send the
    first of ``signals``, the others as soon as it reacted; wait for the process to end."""
    project.config["healthcheck"] = {"cmd": SLOW_HEALTH_CMD, "max_attempts": 7}
    project.write()
    marker = f"Started {SERVICE}-web-{version}, waiting for it to be healthy"
    process = project.start("deploy", version=version)
    lines: list[str] = []
    seen, stopping = threading.Event(), threading.Event()
    hosts = project.config["servers"]
    started: list[str] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if marker in line:
                started.append(line)
                if len(started) == len(hosts):
                    seen.set()
            if "received: stopping." in line:
                stopping.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert seen.wait(180), f"the deploy never started {version}:\n{''.join(lines)}"
        signalled_at = time.time()
        first, *more = signals
        process.send_signal(first)
        assert stopping.wait(30), f"no reaction to the signal:\n{''.join(lines)}"
        for number in more:  # while it is still cleaning up
            process.send_signal(number)
        stdout = process.stdout.read() if process.stdout else ""
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(timeout=10)
        project.config["healthcheck"] = {"cmd": HEALTH_CMD, "max_attempts": 3}
        project.write()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, "".join(lines))
    return Interrupted(result, signalled_at, version)


@pytest.fixture(scope="module")
def by_sigint(project: Project) -> Interrupted:
    """``deploy --version v2`` interrupted by Ctrl-C twice (SIGINT, then SIGINT again)."""
    return interrupt_deploy(project, "v2", [signal.SIGINT, signal.SIGINT])


@pytest.fixture(scope="module")
def by_sigterm(project: Project, by_sigint: Interrupted) -> Interrupted:
    """``deploy --version v3`` terminated with SIGTERM."""
    return interrupt_deploy(project, "v3", [signal.SIGTERM])


def started_at(project: Project, host: str, container: str) -> float:
    """When ``container`` last started, as epoch seconds (docker gives nanoseconds)."""
    text = inspect(project.sandbox, host, container, "{{.State.StartedAt}}")
    whole, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.fromisoformat(f"{whole}.{(fraction + '000000')[:6]}+00:00")
    return moment.timestamp()


def assert_stopped_cleanly(project: Project, run: Interrupted, code: int, name: str) -> None:
    result = run.result
    assert result.returncode == code, describe(result)
    assert no_traceback(result), describe(result)
    last = result.stderr.rstrip().splitlines()[-1]
    assert last == (
        f"Interrupted ({name}): stopped after the current commands; deploy lock released"
    ), describe(result)
    assert f"{name} received: stopping." in result.stderr
    assert not project.lock_directory_exists(), "the lock must be released"
    assert "There is no deploy lock" in project.lock_status()
    new = f"{SERVICE}-web-{run.version}"
    for host in project.sandbox.hosts[:2]:
        # the previous version still runs and serves; the new one does not run
        assert project.running_versions(host) == ["v1"], host
        assert project.fetch(host, "/version") == "v1"
        # no container of the new version was started after the signal
        if new in project.containers(host, running=False):
            assert started_at(project, host, new) < run.signalled_at, host


def test_sigint_twice_while_booting(project: Project, by_sigint: Interrupted) -> None:
    assert_stopped_cleanly(project, by_sigint, 130, "SIGINT")
    assert "SIGINT again: still stopping" in by_sigint.result.stderr


def test_sigterm_while_booting(project: Project, by_sigterm: Interrupted) -> None:
    assert_stopped_cleanly(project, by_sigterm, 143, "SIGTERM")


def test_a_deploy_after_the_interruptions_succeeds(
    project: Project, by_sigterm: Interrupted
) -> None:
    project.kamal("deploy", version="v4")
    for host in project.sandbox.hosts[:2]:
        assert project.running_versions(host) == ["v4"]
        assert project.fetch(host, "/version") == "v4"


def test_env_push_replaces_read_only_files_0400(project: Project, by_sigterm: object) -> None:
    h1 = project.sandbox.hosts[0]
    inode = checked_exec(project.sandbox, h1, f"stat -c %i {ENV_FILE}")
    project.secrets["APP_SECRET"] = "second-9f2e"
    project.write()
    project.kamal("env.push", version="v4")
    for host in project.sandbox.hosts[:2]:
        assert checked_exec(project.sandbox, host, f"stat -c %a {ENV_FILE}").strip() == "400"
        content = checked_exec(project.sandbox, host, f"cat {ENV_FILE}")
        assert content == "APP_SECRET=second-9f2e\n"
        listing = checked_exec(project.sandbox, host, "ls -a /root/.kamal/env/roles").split()
        assert sorted(listing) == [".", "..", f"{SERVICE}-web.env"]
    assert checked_exec(project.sandbox, h1, f"stat -c %i {ENV_FILE}") != inode


def test_env_push_waits_for_the_deploy_lock(project: Project, by_sigterm: object) -> None:
    project.kamal("lock.acquire", "--message", "busy", version="v4")
    try:
        blocked = project.kamal("env.push", version="v4", check=False)
        assert blocked.returncode == 1, describe(blocked)
        assert "Deploy lock found" in blocked.stderr and "Message: busy" in blocked.stderr
    finally:
        project.kamal("lock.release", version="v4")
