"""SSH settings against real servers: a jump host (``ssh.proxy``), a ``proxy_command``, host
keys (a changed key refused before anything runs, a new host recorded) and connect timeouts.

``server.exec`` prints ``$SSH_CLIENT`` on the target: its first field is the address the
connection came from — the machine's own bridge address when direct, the jump host's address
when it went through the jump host.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from integration.harness import Sandbox
from integration.project import Project, describe, make_project, no_traceback, server_run

SERVICE = "e2essh"


@pytest.fixture(scope="module")
def hosts(sandbox: Sandbox) -> list[str]:
    return sandbox.hosts


def client_address(project: Project, host: str) -> str:
    """The peer address the target's sshd saw, via ``server.exec`` on that host only."""
    done = project.kamal("server.exec", "echo CLIENT=$SSH_CLIENT", "--hosts", host, version="v1")
    line = next(line for line in done.stdout.splitlines() if line.startswith("CLIENT="))
    return line.removeprefix("CLIENT=").split()[0]


def test_direct_connection_comes_from_this_machine(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str]
) -> None:
    project = make_project(tmp_path, sandbox, SERVICE, [hosts[1]])
    project.write()
    assert client_address(project, hosts[1]) not in hosts


def test_proxy_goes_through_the_jump_host(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str]
) -> None:
    jump, target = hosts[0], hosts[1]
    project = make_project(tmp_path, sandbox, SERVICE, [target])
    project.config["ssh"]["proxy"] = jump  # "root@" is the default user
    project.write()
    assert client_address(project, target) == jump


def test_proxy_command_is_used(tmp_path: Path, sandbox: Sandbox, hosts: list[str]) -> None:
    jump, target = hosts[0], hosts[1]
    key = sandbox.ssh_key_path
    project = make_project(tmp_path, sandbox, SERVICE, [target])
    known_hosts = sandbox.known_hosts_path
    project.config["ssh"]["proxy_command"] = (
        f"ssh -i {key} -o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} "
        f"-W %h:%p root@{jump}"
    )
    project.write()
    assert client_address(project, target) == jump


def test_an_unreachable_jump_host_fails_with_the_host_named(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str]
) -> None:
    project = make_project(tmp_path, sandbox, SERVICE, [hosts[1]])
    project.config["ssh"]["proxy"] = "root@127.0.0.1:1"
    project.write()
    done = project.kamal("server.exec", "true", version="v1", check=False)
    assert done.returncode == 1
    assert f"Failed on 1 host(s): {hosts[1]}" in done.stderr
    assert "Traceback" not in done.stderr


# --- host keys -----------------------------------------------------------------------------------
MARKER = "/tmp/e2essh-ran"


def wrong_key(tmp_path: Path) -> str:
    """``ssh-ed25519 BASE64`` of a freshly generated key (no server has it)."""
    path = tmp_path / "wrong_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


def known_hosts_with_wrong_key(tmp_path: Path, sandbox: Sandbox, host: str) -> Path:
    """A copy of the sandbox's known_hosts in which ``host`` has another ed25519 key."""
    lines = sandbox.known_hosts_path.read_text().splitlines()
    kept = [line for line in lines if not line.startswith(f"{host} ")]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join([*kept, f"{host} {wrong_key(tmp_path)}"]) + "\n")
    return path


def ran_marker(sandbox: Sandbox, host: str) -> bool:
    code, _ = server_run(sandbox, host, f"test -e {MARKER}")
    return code == 0


@pytest.fixture
def no_marker(sandbox: Sandbox, hosts: list[str]):  # noqa: ANN201
    for host in hosts:
        server_run(sandbox, host, f"rm -f {MARKER}")
    yield
    for host in hosts:
        server_run(sandbox, host, f"rm -f {MARKER}")


def test_a_changed_host_key_is_refused_and_nothing_runs_there(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str], no_marker: None
) -> None:
    good, changed = hosts[0], hosts[1]
    project = make_project(tmp_path, sandbox, SERVICE, [good, changed])
    known_hosts = known_hosts_with_wrong_key(tmp_path, sandbox, changed)
    project.config["ssh"]["user_known_hosts_file"] = str(known_hosts)
    project.config["ssh"]["verify_host_key"] = "accept_new"
    project.write()
    before = known_hosts.read_text()
    done = project.kamal("server.exec", f"touch {MARKER}", version="v1", check=False)
    assert done.returncode == 1, describe(done)
    assert no_traceback(done), describe(done)
    assert f"Failed on 1 host(s): {changed}\n" in done.stderr, describe(done)
    assert f"  {changed}: SSH host key of {changed} has changed" in done.stderr
    assert f"`ssh-keygen -R {changed} -f {known_hosts}`" in done.stderr
    assert ran_marker(sandbox, good)
    assert not ran_marker(sandbox, changed)
    assert known_hosts.read_text() == before  # the wrong key is not "fixed" silently


def test_a_new_host_is_recorded_then_trusted(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str]
) -> None:
    target = hosts[2]
    known_hosts = tmp_path / "fresh" / "known_hosts"
    project = make_project(tmp_path, sandbox, SERVICE, [target])
    project.config["ssh"]["user_known_hosts_file"] = str(known_hosts)
    project.config["ssh"]["verify_host_key"] = "accept_new"
    project.write()
    done = project.kamal("server.exec", "true", version="v1")
    assert f"[{target}] added its host key to {known_hosts}" in done.stderr
    assert known_hosts.read_text() == f"{target} {sandbox.host_keys(target)[0]}\n"
    project.config["ssh"]["verify_host_key"] = "always"
    project.write()
    again = project.kamal("server.exec", "true", version="v1")
    assert "added its host key" not in again.stderr
    assert known_hosts.read_text() == f"{target} {sandbox.host_keys(target)[0]}\n"


def test_always_refuses_a_host_that_is_not_known(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str]
) -> None:
    project = make_project(tmp_path, sandbox, SERVICE, [hosts[2]])
    project.config["ssh"]["user_known_hosts_file"] = str(tmp_path / "empty_known_hosts")
    project.write()
    done = project.kamal("server.exec", "true", version="v1", check=False)
    assert done.returncode == 1, describe(done)
    assert f"SSH host key of {hosts[2]} is unknown" in done.stderr, describe(done)


def test_a_jump_host_with_a_changed_key_is_refused(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str], no_marker: None
) -> None:
    jump, target = hosts[0], hosts[1]
    project = make_project(tmp_path, sandbox, SERVICE, [target])
    project.config["ssh"]["proxy"] = jump
    known_hosts = known_hosts_with_wrong_key(tmp_path, sandbox, jump)
    project.config["ssh"]["user_known_hosts_file"] = str(known_hosts)
    project.write()
    done = project.kamal("server.exec", f"touch {MARKER}", version="v1", check=False)
    assert done.returncode == 1, describe(done)
    assert (
        f"  {target}: cannot connect to jump host root@{jump}: SSH host key of {jump} has changed"
    ) in done.stderr, describe(done)
    assert not ran_marker(sandbox, target)


# --- time limits ---------------------------------------------------------------------------------


def test_a_server_that_is_down_is_reported_within_15_seconds(
    tmp_path: Path, sandbox: Sandbox, hosts: list[str]
) -> None:
    """The container is stopped (its address stays in this machine's ARP cache, so SYNs go
    unanswered): the 10 s default ``ssh/connect_timeout`` reports it."""
    down = hosts[2]
    project = make_project(tmp_path, sandbox, SERVICE, [down])
    sandbox.stop_server(down)
    try:
        started = time.monotonic()
        done = project.kamal("server.exec", "true", version="v1", check=False)
        seconds = time.monotonic() - started
    finally:
        sandbox.start_server(down)
    print(f"down server reported after {seconds:.1f} s: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 1, describe(done)
    assert no_traceback(done), describe(done)
    assert f"  {down}: cannot connect to {down}: " in done.stderr, describe(done)
    assert seconds < 15
