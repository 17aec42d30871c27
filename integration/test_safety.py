"""Kamal's safety margins, read from the server's own docker events: the new container is
healthy at least ``traefik_route_delay`` (5 s) before the old one turns unhealthy, and the
old one is unhealthy at least ``traefik_notice_delay`` (5 s) before it is stopped; the
deploy waits little longer than that."""

from __future__ import annotations

import pytest

from integration.harness import Sandbox
from integration.project import Project, checked_exec, make_project

SERVICE = "e2esafety"
#: How much longer than a margin the deploy may take to meet it (polling, SSH, a busy host).
SLACK = 2.0


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1 only; v1 deployed with ``setup``."""
    sandbox = clean_servers
    project = make_project(
        tmp_path_factory.mktemp("safety"), sandbox, SERVICE, [sandbox.hosts[0]],
        stop_wait_time=2,
    )  # fmt: skip
    project.kamal("setup", version="v1")
    return project


def health_events(project: Project, since: str, until: str) -> list[tuple[float, str, str]]:
    """``(seconds, container, action)`` of the service's health and stop events, in order."""
    host = project.sandbox.hosts[0]
    output = checked_exec(
        project.sandbox, host,
        f"docker events --since {since} --until {until} --filter label=service={SERVICE} "
        "--filter event=health_status --filter event=kill --filter event=die "
        "--format '{{.TimeNano}} {{.Actor.Attributes.name}} {{.Action}}'",
    )  # fmt: skip
    events = []
    for line in output.splitlines():
        nanos, name, action = line.split(" ", 2)
        events.append((int(nanos) / 1e9, name, action))
    return events


@pytest.fixture(scope="module")
def events(project: Project) -> list[tuple[float, str, str]]:
    """``deploy --version v2`` and the events meanwhile."""
    host = project.sandbox.hosts[0]
    since = checked_exec(project.sandbox, host, "date +%s.%N").strip()
    project.kamal("deploy", version="v2")
    until = checked_exec(project.sandbox, host, "date +%s.%N").strip()
    return health_events(project, since, until)


def first(events: list[tuple[float, str, str]], name: str, *actions: str) -> float:
    found = [at for at, container, action in events if container == name and action in actions]
    assert found, f"no {actions} of {name} in {events}"
    return found[0]


def test_the_new_container_is_healthy_5s_before_the_old_one_turns_unhealthy(
    events: list[tuple[float, str, str]],
) -> None:
    healthy = first(events, f"{SERVICE}-web-v2", "health_status: healthy")
    unhealthy = first(events, f"{SERVICE}-web-v1", "health_status: unhealthy")
    assert 5.0 <= unhealthy - healthy < 5.0 + SLACK, events


def test_the_old_container_is_unhealthy_5s_before_it_is_stopped(
    events: list[tuple[float, str, str]],
) -> None:
    unhealthy = first(events, f"{SERVICE}-web-v1", "health_status: unhealthy")
    stopped = first(events, f"{SERVICE}-web-v1", "kill", "die")
    assert 5.0 <= stopped - unhealthy < 5.0 + SLACK, events


def test_shorter_margins_are_honoured_too(project: Project) -> None:
    """With both settings at 2 s the margins shrink to (at least) 2 s each."""
    project.config["healthcheck"] = {
        **project.config["healthcheck"], "traefik_route_delay": 2, "traefik_notice_delay": 2,
    }  # fmt: skip
    project.write()
    host = project.sandbox.hosts[0]
    since = checked_exec(project.sandbox, host, "date +%s.%N").strip()
    project.kamal("deploy", version="v3")
    until = checked_exec(project.sandbox, host, "date +%s.%N").strip()
    found = health_events(project, since, until)
    healthy = first(found, f"{SERVICE}-web-v3", "health_status: healthy")
    unhealthy = first(found, f"{SERVICE}-web-v2", "health_status: unhealthy")
    stopped = first(found, f"{SERVICE}-web-v2", "kill", "die")
    # docker alone needs 2 failed checks 1 s apart: the cord is cut at once
    assert 2.0 <= unhealthy - healthy < 2.0 + SLACK + 1.0, found
    assert 2.0 <= stopped - unhealthy < 2.0 + SLACK, found
