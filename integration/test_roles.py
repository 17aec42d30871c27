"""Roles: ``web`` on two hosts, ``workers`` (with its own command) on the third."""

from __future__ import annotations

import json
import subprocess

import pytest

from integration.harness import Sandbox
from integration.project import Project, checked_exec, inspect, list_containers, make_project

SERVICE = "e2eroles"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1 and h2, workers (``sleep 100000``) on h3."""
    sandbox = clean_servers
    h1, h2, h3 = sandbox.hosts
    return make_project(
        tmp_path_factory.mktemp("roles"), sandbox, SERVICE,
        {"web": [h1, h2], "workers": {"hosts": [h3], "cmd": "sleep 100000"}},
        stop_wait_time=2,  # `sleep` as PID 1 ignores SIGTERM: don't wait docker's 10 s for it
    )  # fmt: skip


@pytest.fixture(scope="module")
def deployed(project: Project) -> subprocess.CompletedProcess[str]:
    """``setup --version v1``."""
    return project.kamal("setup", version="v1")


def test_web_containers_run_on_the_web_hosts_only(project: Project, deployed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2):
        assert project.containers(host) == [f"{SERVICE}-web-v1"]
        labels = json.loads(
            inspect(project.sandbox, host, f"{SERVICE}-web-v1", "{{json .Config.Labels}}")
        )
        assert labels["role"] == "web" and labels["service"] == SERVICE
        health = inspect(project.sandbox, host, f"{SERVICE}-web-v1", "{{.State.Health.Status}}")
        assert health == "healthy"
        assert project.fetch(host, "/version") == "v1"
    assert project.containers(h3, "label=role=web", running=False) == []


def test_the_worker_runs_its_command_on_its_host_only(project: Project, deployed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    worker = f"{SERVICE}-workers-v1"
    assert project.containers(h3) == [worker]
    assert inspect(project.sandbox, h3, worker, '{{index .Config.Labels "role"}}') == "workers"
    assert inspect(project.sandbox, h3, worker, "{{json .Config.Cmd}}") == '["sleep","100000"]'
    assert inspect(project.sandbox, h3, worker, "{{.State.Health}}") == "<nil>"
    assert "sleep 100000" in checked_exec(project.sandbox, h3, f"docker top {worker}")
    for host in (h1, h2):
        assert project.containers(host, "label=role=workers", running=False) == []


def test_traefik_standin_runs_only_where_web_runs(project: Project, deployed: object) -> None:
    """The ``traefik`` container is the sandbox stand-in (no Traefik can be had here): it runs
    but does not route anything. Checked: deploy starts it on the routed role's hosts only."""
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2):
        assert list_containers(project.sandbox, host, "name=^traefik$") == ["traefik"]
    assert list_containers(project.sandbox, h3, "name=^traefik$", running=False) == []
