"""Host failures: a server that is down before a deploy, and sshd killed in the middle of one.

Three web hosts (service ``e2efail``) run v1 first. Servers and sshd are always restarted.
"""

from __future__ import annotations

import subprocess

import pytest

from integration.harness import Sandbox
from integration.project import (
    Project,
    describe,
    make_project,
    no_traceback,
    server_run,
    wait_for,
)

SERVICE = "e2efail"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on all three hosts; v1 deployed with ``setup``."""
    sandbox = clean_servers
    project = make_project(tmp_path_factory.mktemp("failures"), sandbox, SERVICE, sandbox.hosts)
    project.kamal("setup", version="v1")
    return project


def error_text(result: subprocess.CompletedProcess[str]) -> str:
    """The ``ERROR: ...`` part of the CLI's stderr ("" when there is none)."""
    _, found, error = result.stderr.partition("ERROR:")
    return error if found else ""


def failed_hosts(result: subprocess.CompletedProcess[str]) -> str:
    """The ``Failed on N host(s): ...`` line of the error."""
    for line in error_text(result).splitlines():
        if "Failed on" in line:
            return line
    return ""


def forget_link_address(host: str) -> None:
    """Drop ``host``'s ARP entry on this machine (best effort).

    Right after the server stops, its MAC address is still cached: SYNs go nowhere and each
    SSH connect waits out ``ssh/connect_timeout`` (10 s by default). Without the entry, the ARP
    lookup fails within about 3 s and the connect gets "no route to host", as for any host
    that is gone. Either way the deploy must fail the same; this only keeps the suite fast.
    """
    subprocess.run(["ip", "neigh", "flush", "to", host], capture_output=True, check=False)


@pytest.fixture(scope="module")
def server_down(project: Project) -> subprocess.CompletedProcess[str]:
    """``deploy --version v2`` while h3's server container is stopped (restarted after)."""
    h3 = project.sandbox.hosts[2]
    project.sandbox.stop_server(h3)
    forget_link_address(h3)
    try:
        return project.kamal("deploy", version="v2", check=False)
    finally:
        project.sandbox.start_server(h3)


def test_a_server_down_fails_the_deploy_cleanly_naming_it(
    project: Project, server_down: subprocess.CompletedProcess[str]
) -> None:
    h1, h2, h3 = project.sandbox.hosts
    assert server_down.returncode == 1, describe(server_down)
    assert no_traceback(server_down), describe(server_down)
    assert h3 in failed_hosts(server_down), describe(server_down)
    assert h1 not in failed_hosts(server_down) and h2 not in failed_hosts(server_down)


def test_a_server_down_changes_nothing_on_the_others(project: Project, server_down: object) -> None:
    """The login step fails before the lock: nothing booted, nothing locked."""
    assert not project.lock_directory_exists()
    for host in project.sandbox.hosts:
        assert project.running_versions(host) == ["v1"], host
        assert project.fetch(host, "/version") == "v1"


@pytest.fixture(scope="module")
def sshd_killed(project: Project, server_down: object) -> dict:
    """``deploy --version v2``; sshd on h3 is killed as soon as h3's v2 container exists.

    Returns the CLI result and the ``lock.status`` output read from the (reachable) primary
    while h3's sshd was still down; sshd is restarted afterwards.
    """
    sandbox, h3 = project.sandbox, project.sandbox.hosts[2]
    new_container = f"docker ps -aq --filter name=^{SERVICE}-web-v2$"
    process = project.start("deploy", version="v2")
    try:
        wait_for(lambda: server_run(sandbox, h3, new_container)[1].strip(), timeout=90,
                 interval=0.1, what=f"{SERVICE}-web-v2 on {h3}")  # fmt: skip
        sandbox.stop_sshd(h3)
        stdout, stderr = process.communicate(timeout=180)
        status = project.lock_status()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        sandbox.start_sshd(h3)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return {"result": result, "lock_status": status}


def test_sshd_killed_mid_deploy_fails_naming_only_that_host(
    project: Project, sshd_killed: dict
) -> None:
    h1, h2, h3 = project.sandbox.hosts
    result = sshd_killed["result"]
    assert result.returncode == 1, describe(result)
    assert no_traceback(result), describe(result)
    assert h3 in failed_hosts(result), describe(result)
    assert h1 not in failed_hosts(result) and h2 not in failed_hosts(result), describe(result)


def test_the_other_hosts_finished_booting(project: Project, sshd_killed: dict) -> None:
    for host in project.sandbox.hosts[:2]:
        assert project.running_versions(host) == ["v2"], host
        assert project.fetch(host, "/version") == "v2"


def test_the_lock_was_released_despite_the_failure(project: Project, sshd_killed: dict) -> None:
    assert "There is no deploy lock" in sshd_killed["lock_status"]
    assert not project.lock_directory_exists()


def test_the_next_deploy_recovers_the_interrupted_host(project: Project, sshd_killed: dict) -> None:
    """With sshd back, deploying v2 again leaves exactly one running container everywhere."""
    project.kamal("deploy", version="v2")
    for host in project.sandbox.hosts:
        assert project.running_versions(host) == ["v2"], host
        assert project.fetch(host, "/version") == "v2"
