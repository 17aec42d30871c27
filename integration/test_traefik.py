"""``traefik.*`` on the sandbox: boot, details, logs, reboot (and ``--rolling``) with its
hooks, and remove, each checked on the servers. No app is deployed here.

Traefik itself cannot be had on these machines (no image, no binary, no registry to pull
from): the ``traefik`` container here runs the sandbox's stand-in image, which logs a line,
stays up and routes nothing. What is checked is what the commands do to that container and
its image on each host, not any routing.
"""

from __future__ import annotations

import subprocess

import pytest

from integration.harness import TRAEFIK_STANDIN_IMAGE, Sandbox
from integration.project import (
    HOOK_SCRIPT,
    Project,
    checked_exec,
    inspect,
    list_containers,
    make_project,
    server_run,
)

SERVICE = "e2etraefik"
REBOOT_HOOKS = ("pre-traefik-reboot", "post-traefik-reboot")


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Web on h1 and h2 (never deployed), recording reboot hooks; env files pushed."""
    sandbox = clean_servers
    h1, h2, _ = sandbox.hosts
    project = make_project(tmp_path_factory.mktemp("traefik"), sandbox, SERVICE, [h1, h2])
    for name in REBOOT_HOOKS:
        (project.root / "hooks" / name).write_text(HOOK_SCRIPT)
        (project.root / "hooks" / name).chmod(0o755)
    project.kamal("env.push", version="v0")
    return project


@pytest.fixture(scope="module")
def booted(project: Project) -> subprocess.CompletedProcess[str]:
    return project.kamal("traefik.boot", version="v0")


def traefik_hosts(project: Project) -> list[str]:
    return project.sandbox.hosts[:2]


def container_ids(project: Project) -> dict[str, str]:
    """The traefik container's id on each Traefik host."""
    return {h: inspect(project.sandbox, h, "traefik", "{{.Id}}") for h in traefik_hosts(project)}


def reboot_hooks(project: Project) -> list[tuple[str, str, str]]:
    """(hook, KAMAL_COMMAND, KAMAL_SUBCOMMAND) of the reboot hooks that ran, in order."""
    return [
        (r["hook"], r["KAMAL_COMMAND"], r["KAMAL_SUBCOMMAND"])
        for r in project.hook_records()
        if r["hook"] in REBOOT_HOOKS
    ]


def test_boot_runs_traefik_on_the_web_hosts_only(project: Project, booted: object) -> None:
    for host in traefik_hosts(project):
        assert list_containers(project.sandbox, host, "name=^traefik$") == ["traefik"]
        assert inspect(project.sandbox, host, "traefik", "{{.Config.Image}}") == (
            TRAEFIK_STANDIN_IMAGE
        )
    h3 = project.sandbox.hosts[2]
    assert list_containers(project.sandbox, h3, "name=^traefik$", running=False) == []


def test_details_shows_the_container_on_each_host(project: Project, booted: object) -> None:
    shown = project.kamal("traefik.details", version="v0").stdout
    for host in traefik_hosts(project):
        section = shown.split(f"Traefik on {host}:")[1].split("Traefik on")[0]
        assert "traefik" in section and TRAEFIK_STANDIN_IMAGE in section


def test_logs_show_what_the_container_printed(project: Project, booted: object) -> None:
    shown = project.kamal("traefik.logs", version="v0").stdout
    for host in traefik_hosts(project):
        section = shown.split(f"Traefik logs on {host}:")[1].split("Traefik logs on")[0]
        assert "this is a STAND-IN for Traefik" in section


def test_reboot_replaces_the_container_between_its_hooks(project: Project, booted: object) -> None:
    before = container_ids(project)
    project.clear_hook_log()
    project.kamal("traefik.reboot", version="v0")
    after = container_ids(project)
    assert all(after[host] != before[host] for host in before), (before, after)
    assert reboot_hooks(project) == [
        ("pre-traefik-reboot", "traefik", "reboot"),
        ("post-traefik-reboot", "traefik", "reboot"),
    ]
    for host in traefik_hosts(project):
        assert list_containers(project.sandbox, host, "name=^traefik$", running=False) == [
            "traefik"
        ]


def test_rolling_reboot_replaces_it_host_by_host(project: Project, booted: object) -> None:
    h1, h2 = traefik_hosts(project)
    before = container_ids(project)
    since = checked_exec(project.sandbox, h1, "date +%s.%N").strip()
    project.clear_hook_log()
    project.kamal("traefik.reboot", "--rolling", version="v0")
    after = container_ids(project)
    assert all(after[host] != before[host] for host in before), (before, after)
    assert [hook for hook, _, _ in reboot_hooks(project)] == list(REBOOT_HOOKS)
    # one host at a time: h1's new container had started before h2's old one was stopped
    h1_started = event_times(project, h1, since, "start")
    h2_died = event_times(project, h2, since, "die")
    assert len(h1_started) == 1 and len(h2_died) == 1, (h1_started, h2_died)
    assert h1_started[0] < h2_died[0]


def event_times(project: Project, host: str, since: str, action: str) -> list[int]:
    """When (ns) the traefik container on ``host`` had ``action`` events since ``since``."""
    output = checked_exec(
        project.sandbox,
        host,
        f"docker events --since {since} --until $(($(date +%s) + 1)) --filter container=traefik "
        f"--filter event={action} --format '{{{{.TimeNano}}}}'",
    )
    return [int(line) for line in output.split()]


def test_remove_takes_container_and_image_away(project: Project, booted: object) -> None:
    project.kamal("traefik.remove", version="v0")
    for host in traefik_hosts(project):
        assert list_containers(project.sandbox, host, "name=^traefik$", running=False) == []
        code, _ = server_run(project.sandbox, host, f"docker image inspect {TRAEFIK_STANDIN_IMAGE}")
        assert code != 0, f"{host}: the Traefik image is still there"
