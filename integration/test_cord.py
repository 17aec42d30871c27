"""The cord: before the old container is stopped, cutting its cord turns it ``unhealthy``
(that is when Traefik would stop routing to it). Read from the server's docker events."""

from __future__ import annotations

import pytest

from integration.harness import Sandbox
from integration.project import Project, checked_exec, inspect, make_project, server_run

SERVICE = "e2ecord"
CORD_PATH = "/tmp/kamal-cord"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1 only; v1 deployed with ``setup``."""
    sandbox = clean_servers
    project = make_project(tmp_path_factory.mktemp("cord"), sandbox, SERVICE, [sandbox.hosts[0]])
    project.kamal("setup", version="v1")
    return project


@pytest.fixture(scope="module")
def old_cord(project: Project) -> str:
    """The host directory mounted as v1's cord (read before v2 replaces it)."""
    host = project.sandbox.hosts[0]
    template = '{{range .Mounts}}{{if eq .Destination "%s"}}{{.Source}}{{end}}{{end}}'
    return inspect(project.sandbox, host, f"{SERVICE}-web-v1", template % CORD_PATH)


@pytest.fixture(scope="module")
def v1_events(project: Project, old_cord: str) -> list[str]:
    """``deploy --version v2``; the docker events of the v1 container meanwhile, in order."""
    host = project.sandbox.hosts[0]
    since = checked_exec(project.sandbox, host, "date +%s.%N").strip()
    project.kamal("deploy", version="v2")
    until = checked_exec(project.sandbox, host, "date +%s.%N").strip()
    output = checked_exec(
        project.sandbox, host,
        f"docker events --since {since} --until {until} "
        f"--filter container={SERVICE}-web-v1 --format '{{{{.Status}}}}'",
    )  # fmt: skip
    return output.splitlines()


def test_v1_was_tied_to_a_cord_checked_by_its_health_command(
    project: Project, old_cord: str
) -> None:
    host = project.sandbox.hosts[0]
    assert old_cord.startswith(f"/root/.kamal/cords/{SERVICE}-web-")
    health = inspect(project.sandbox, host, f"{SERVICE}-web-v1", "{{json .Config.Healthcheck}}")
    assert f"stat {CORD_PATH}/cord" in health


def test_old_container_turns_unhealthy_before_it_is_stopped(
    project: Project, v1_events: list[str]
) -> None:
    assert "health_status: unhealthy" in v1_events, v1_events
    unhealthy = v1_events.index("health_status: unhealthy")
    stopped = [i for i, status in enumerate(v1_events) if status in ("kill", "stop", "die")]
    assert stopped, f"v1 was never stopped: {v1_events}"
    assert unhealthy < min(stopped), v1_events
    assert "health_status: healthy" not in v1_events[unhealthy:], v1_events


def test_the_cut_cord_is_gone_and_v2_is_tied_to_a_new_one(
    project: Project, old_cord: str, v1_events: list[str]
) -> None:
    host = project.sandbox.hosts[0]
    code, _ = server_run(project.sandbox, host, f"test -e {old_cord}")
    assert code != 0, f"{old_cord} should have been cut"
    assert inspect(project.sandbox, host, f"{SERVICE}-web-v1", "{{.State.Status}}") == "exited"
    checked_exec(project.sandbox, host, f"docker exec {SERVICE}-web-v2 stat {CORD_PATH}/cord")
    health = inspect(project.sandbox, host, f"{SERVICE}-web-v2", "{{.State.Health.Status}}")
    assert health == "healthy"
    assert project.fetch(host, "/version") == "v2"
