"""SSH settings against real servers: a jump host (``ssh.proxy``) and a ``proxy_command``.

``server.exec`` prints ``$SSH_CLIENT`` on the target: its first field is the address the
connection came from — the machine's own bridge address when direct, the jump host's address
when it went through the jump host.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from integration.harness import Sandbox
from integration.project import Project, make_project

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
    project.config["ssh"]["proxy_command"] = (
        f"ssh -i {key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
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
