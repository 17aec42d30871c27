"""Smoke tests of the sandbox: SSH, inner Docker, registry, app images, failure levers."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fabric import Connection

from integration.harness import BUSYBOX_IMAGE, TRAEFIK_STANDIN_IMAGE, Sandbox

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[1]
HEALTH_CMD = "wget -qO- http://localhost:3000/up || exit 1"


def connect(sandbox: Sandbox, host: str) -> Connection:
    """An SSH connection as root with the sandbox key (what the library will use)."""
    return Connection(
        host,
        user="root",
        connect_kwargs={"key_filename": str(sandbox.ssh_key_path)},
        connect_timeout=10,
    )


def run(sandbox: Sandbox, host: str, command: str) -> str:
    """Run ``command`` on ``host`` over SSH; fail the test if it fails."""
    with connect(sandbox, host) as connection:
        return connection.run(command, hide=True, in_stream=False).stdout.strip()


def health_after(sandbox: Sandbox, host: str, container: str, wait: float) -> str:
    """Poll the container's health over SSH until healthy or ``wait`` seconds pass."""
    deadline = time.monotonic() + wait
    status = ""
    while time.monotonic() < deadline:
        status = run(sandbox, host, f"docker inspect -f '{{{{.State.Health.Status}}}}' {container}")
        if status == "healthy":
            break
        time.sleep(0.5)
    return status


def run_app(sandbox: Sandbox, host: str, name: str, image: str, *options: str) -> None:
    """Pull ``image`` on ``host`` over SSH and run it detached with the health check."""
    run(sandbox, host, f"docker pull -q {image}")
    flags = " ".join(options)
    run(
        sandbox,
        host,
        f'docker run -d --name {name} --health-cmd "{HEALTH_CMD}" --health-interval 1s '
        f"{flags} {image}",
    )


@pytest.fixture(scope="module")
def demo_image(sandbox: Sandbox) -> str:
    """demo/app built with label service=demo and pushed as localhost:5555/demo:smoke."""
    tag = f"{sandbox.registry}/demo:smoke"
    sandbox.build_app_image(REPO_ROOT / "demo" / "app", tag, labels={"service": "demo"})
    sandbox.push_image(tag)
    return tag


@pytest.fixture(scope="module")
def broken_image(sandbox: Sandbox) -> str:
    """integration/apps/broken pushed as localhost:5555/broken:smoke."""
    tag = f"{sandbox.registry}/broken:smoke"
    sandbox.build_app_image(REPO_ROOT / "integration" / "apps" / "broken", tag)
    sandbox.push_image(tag)
    return tag


@pytest.fixture
def cleanup(sandbox: Sandbox) -> Iterator[list[tuple[str, str]]]:
    """Collects (host, container) pairs to remove from the servers after the test."""
    created: list[tuple[str, str]] = []
    yield created
    for host, name in created:
        sandbox.server_exec(host, f"docker rm -f {name}")


def test_each_server_accepts_ssh_with_the_generated_key(sandbox: Sandbox) -> None:
    assert sandbox.ssh_key_path.stat().st_mode & 0o777 == 0o600
    for host, name in zip(sandbox.hosts, sandbox.server_names, strict=True):
        assert run(sandbox, host, "hostname") == name
        assert run(sandbox, host, "docker info --format '{{.ServerVersion}}'").startswith("20.10")


def test_known_hosts_holds_every_server_key_as_openssh_wants_it(sandbox: Sandbox) -> None:
    """OpenSSH's own client, strict, with only the file ``up()`` wrote, trusts every server."""
    import subprocess

    for host, name in zip(sandbox.hosts, sandbox.server_names, strict=True):
        argv = [
            "ssh", "-i", str(sandbox.ssh_key_path), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", f"UserKnownHostsFile={sandbox.known_hosts_path}", f"root@{host}", "hostname",
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert (done.returncode, done.stdout.strip()) == (0, name), done.stderr


def test_registry_answers_on_the_host_and_on_every_server(sandbox: Sandbox) -> None:
    with urllib.request.urlopen("http://127.0.0.1:5555/v2/", timeout=5) as response:
        assert response.status == 200
    for host in sandbox.hosts:
        code, output = sandbox.server_exec(host, "curl -fsS http://localhost:5555/v2/_catalog")
        assert code == 0 and "traefik-standin" in output


def test_demo_app_pulls_over_ssh_turns_healthy_and_serves_its_version(
    sandbox: Sandbox, demo_image: str, cleanup: list
) -> None:
    host = sandbox.hosts[0]
    cleanup.append((host, "demo-smoke"))
    run_app(
        sandbox,
        host,
        "demo-smoke",
        demo_image,
        "--label service=demo --label role=web -e KAMAL_VERSION=smoke",
    )
    assert health_after(sandbox, host, "demo-smoke", wait=30) == "healthy"
    assert sandbox.fetch(host, "/version") == "smoke"
    assert sandbox.fetch(host, "/up") == "OK"
    assert "font-family" in sandbox.fetch(host, "/assets/app.css")
    assert (
        run(sandbox, host, f"docker image inspect -f '{{{{.Config.Labels.service}}}}' {demo_image}")
        == "demo"
    )


def test_demo_image_runs_an_overriding_command_and_stops_promptly(
    sandbox: Sandbox, demo_image: str, cleanup: list
) -> None:
    host = sandbox.hosts[1]
    cleanup.append((host, "demo-sleep"))
    run(sandbox, host, f"docker pull -q {demo_image}")
    run(sandbox, host, f"docker run -d --name demo-sleep {demo_image} sleep 1000")
    assert "app.css" in run(sandbox, host, "docker exec demo-sleep ls /www/assets")
    cleanup.append((host, "demo-served"))
    run(sandbox, host, f"docker run -d --name demo-served {demo_image}")
    started = time.monotonic()
    run(sandbox, host, "docker stop demo-served")
    assert time.monotonic() - started < 5, "the app must exit on SIGTERM, not wait to be killed"


def test_broken_app_never_turns_healthy(sandbox: Sandbox, broken_image: str, cleanup: list) -> None:
    host = sandbox.hosts[2]
    cleanup.append((host, "broken-smoke"))
    run_app(sandbox, host, "broken-smoke", broken_image)
    assert health_after(sandbox, host, "broken-smoke", wait=10) == "unhealthy"
    assert run(sandbox, host, "docker inspect -f '{{.State.Status}}' broken-smoke") == "running"


def test_web_test_app_shows_its_env(sandbox: Sandbox, cleanup: list) -> None:
    tag = f"{sandbox.registry}/web:smoke"
    sandbox.build_app_image(
        REPO_ROOT / "integration" / "apps" / "web", tag, labels={"service": "web"}
    )
    sandbox.push_image(tag)
    host = sandbox.hosts[1]
    cleanup.append((host, "web-smoke"))
    run_app(
        sandbox,
        host,
        "web-smoke",
        tag,
        "--label service=web --label role=web -e KAMAL_VERSION=w1 -e GREETING=hello",
    )
    assert health_after(sandbox, host, "web-smoke", wait=30) == "healthy"
    filters = ("label=service=web", "label=role=web")
    assert sandbox.fetch(host, "/version", filters=filters) == "w1"
    assert "GREETING=hello" in sandbox.fetch(host, "/cgi-bin/env", filters=filters)


def test_traefik_standin_runs_and_says_it_does_not_route(sandbox: Sandbox, cleanup: list) -> None:
    host = sandbox.hosts[0]
    cleanup.append((host, "traefik"))
    run(sandbox, host, f"docker pull -q {TRAEFIK_STANDIN_IMAGE}")
    run(
        sandbox,
        host,
        f"docker run -d --name traefik --publish 80:80 {TRAEFIK_STANDIN_IMAGE} "
        "--providers.docker --log.level=DEBUG",
    )
    time.sleep(1)
    assert run(sandbox, host, "docker inspect -f '{{.State.Status}}' traefik") == "running"
    logs = run(sandbox, host, "docker logs traefik 2>&1")
    assert "STAND-IN for Traefik" in logs and "does not route" in logs


def test_sshd_can_be_stopped_and_started(sandbox: Sandbox) -> None:
    host = sandbox.hosts[2]
    sandbox.stop_sshd(host)
    try:
        with pytest.raises(OSError):
            socket.create_connection((host, 22), timeout=2).close()
    finally:
        sandbox.start_sshd(host)
    assert run(sandbox, host, "echo back") == "back"


def test_server_can_be_stopped_and_started_keeping_its_state(sandbox: Sandbox) -> None:
    host = sandbox.hosts[2]
    run(sandbox, host, "mkdir -p /root/.kamal && touch /root/.kamal/marker")
    sandbox.stop_server(host)
    try:
        assert sandbox.status()[sandbox.server_name(host)] == "exited"
        with pytest.raises(OSError):
            socket.create_connection((host, 22), timeout=2).close()
    finally:
        sandbox.start_server(host)
    assert run(sandbox, host, "ls /root/.kamal") == "marker"
    assert run(sandbox, host, "docker info --format '{{.ServerVersion}}'").startswith("20.10")
    sandbox.server_exec(host, "rm -rf /root/.kamal")


def test_busybox_base_has_the_applets_apps_need(sandbox: Sandbox) -> None:
    output = sandbox.client.containers.run(
        BUSYBOX_IMAGE, ["sh", "-c", "ls /bin/httpd /bin/wget /bin/sleep /bin/stat"], remove=True
    ).decode()
    assert len(output.split()) == 4
