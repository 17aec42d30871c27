"""The top-level ``details``, ``audit`` and ``remove --yes`` on the sandbox, after a ``setup``
of an app (web on h1 and h2, with assets) with an accessory on h3: ``remove`` must leave no
container, image or ``.kamal`` file of the project behind on any server.

The ``traefik`` container is the sandbox's stand-in (Traefik cannot be had here).
"""

from __future__ import annotations

import subprocess

import pytest

from integration.harness import BUSYBOX_IMAGE, TRAEFIK_STANDIN_IMAGE, Sandbox
from integration.project import (
    REGISTRY_PASSWORD,
    Project,
    checked_exec,
    list_containers,
    make_project,
    server_run,
)
from kamal_tasks.commands import registry as registry_commands

SERVICE = "e2emain"
ACCESSORY = f"{SERVICE}-cache"
ACCESSORY_IMAGE = f"{Sandbox.registry}/e2emain-busybox:latest"
CMD = "sh -c 'trap \"exit 0\" TERM; while :; do sleep 1; done'"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    sandbox = clean_servers
    h1, h2, h3 = sandbox.hosts
    sandbox.client.images.get(BUSYBOX_IMAGE).tag(ACCESSORY_IMAGE.rpartition(":")[0], "latest")
    sandbox.push_image(ACCESSORY_IMAGE, quiet=True)
    accessory = {
        "image": ACCESSORY_IMAGE,
        "host": h3,
        "cmd": CMD,
        "env": {"secret": ["CACHE_SECRET"]},
        "directories": ["data:/data"],
    }
    return make_project(
        tmp_path_factory.mktemp("main"), sandbox, SERVICE, [h1, h2],
        secrets={"CACHE_SECRET": "cache-secret-9d1"}, asset_path="/www/assets",
        accessories={"cache": accessory},
    )  # fmt: skip


@pytest.fixture(scope="module")
def deployed(project: Project) -> subprocess.CompletedProcess[str]:
    """``setup --version v1``."""
    project.add_asset("v1.css", "/* v1 */")
    return project.kamal("setup", version="v1")


@pytest.fixture(scope="module")
def removed(project: Project, deployed: object) -> subprocess.CompletedProcess[str]:
    """``remove --yes``."""
    return project.kamal("remove", "--yes", version="v1")


def test_setup_ran_app_traefik_and_accessory(project: Project, deployed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2):
        assert project.running_versions(host) == ["v1"]
        assert list_containers(project.sandbox, host, "name=^traefik$") == ["traefik"]
    assert list_containers(project.sandbox, h3, f"name=^{ACCESSORY}$") == [ACCESSORY]
    assert checked_exec(project.sandbox, h1, "find /root/.kamal -type f"), "no .kamal files?"


def test_details_shows_traefik_app_and_accessory(project: Project, deployed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    shown = project.kamal("details", version="v1").stdout
    for host in (h1, h2):
        assert f"Traefik on {host}:" in shown
        section = shown.split(f"App web on {host}:")[1].split(" on ")[0]
        assert f"{SERVICE}-web-v1" in section
    section = shown.split(f"Accessory cache on {h3}:")[1]
    assert ACCESSORY in section and ACCESSORY_IMAGE in section


def test_a_host_holding_the_credentials_already_skips_the_registry_login(
    project: Project, deployed: object
) -> None:
    h1, h2 = project.sandbox.hosts[:2]
    registry = project.sandbox.registry
    checked_exec(project.sandbox, h1, f"docker logout {registry}")

    def said(host: str, done: subprocess.CompletedProcess[str]) -> list[str]:
        """The output lines of ``host``'s command (not the command itself)."""
        prefix = f"[{host}] "
        lines = [line.strip() for line in done.stderr.splitlines()]
        return [
            line.removeprefix(prefix).strip()
            for line in lines
            if line.startswith(prefix) and "$" not in line and line.removeprefix(prefix).strip()
        ]

    first = project.kamal("registry.login", "--skip-local", "--verbose", version="v1")
    assert "Login Succeeded" in said(h1, first), first.stderr
    assert said(h2, first) == ["Already logged in"], first.stderr
    again = project.kamal("registry.login", "--skip-local", "--verbose", version="v1")
    assert said(h1, again) == ["Already logged in"], again.stderr
    auth = registry_commands.stored_auth("sandbox", REGISTRY_PASSWORD)
    for secret in (REGISTRY_PASSWORD, auth):  # never echoed, not even in verbose output
        assert secret not in first.stderr + again.stderr + first.stdout + again.stdout
    image = f"{registry}/{SERVICE}:v1"
    checked_exec(project.sandbox, h1, f"docker rmi -f {image} >/dev/null; docker pull -q {image}")


def test_audit_shows_each_hosts_log(project: Project, deployed: object) -> None:
    shown = project.kamal("audit", version="v1").stdout
    for host in project.sandbox.hosts[:2]:
        log = checked_exec(project.sandbox, host, f"cat /root/.kamal/{SERVICE}-audit.log")
        assert '[web] "Booted app version v1"' in log
        section = shown.split(f"Audit log on {host}:")[1].split("Audit log on")[0]
        assert '[web] "Booted app version v1"' in section


def test_remove_leaves_no_container_image_or_kamal_file(
    project: Project, removed: subprocess.CompletedProcess[str]
) -> None:
    """Images other modules left (servers are reset between modules, images are not) only
    matter where this project ran: Traefik's on h1 and h2, the accessory's on h3."""
    sandbox = project.sandbox
    ours = [f"{Sandbox.registry}/{SERVICE}", ACCESSORY_IMAGE.rpartition(":")[0]]
    traefik = TRAEFIK_STANDIN_IMAGE.rpartition(":")[0]
    for host in sandbox.hosts:
        assert checked_exec(sandbox, host, "docker ps -aq").split() == [], host
        images = checked_exec(sandbox, host, "docker image ls --format '{{.Repository}}'")
        for repository in ours + ([traefik] if host in sandbox.hosts[:2] else []):
            assert repository not in images.split(), f"{host}: {repository} is still there"
        # nothing else used these servers: not even an empty .kamal directory is left
        code, left = server_run(sandbox, host, "find /root/.kamal")
        assert code != 0, f"{host}: left behind:\n{left}"
        code, _ = server_run(sandbox, host, f"test -e /root/{ACCESSORY}")
        assert code != 0, f"{host}: the accessory's directory is still there"
