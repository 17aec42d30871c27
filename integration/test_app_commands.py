"""``post-push`` and the ``app.*`` commands on the sandbox, checked on the servers.

One project (service ``e2eapp``, web on h1 and h2). In file order: a deploy of v1 whose
``post-push`` hook fails (the image is pushed, the hosts are untouched), ``deploy
--skip-push`` of that pushed v1 (no build hooks), ``deploy`` of v2 (``post-push`` between
the push and the pull), ``rollback v1`` (``post-deploy`` with ``KAMAL_COMMAND=rollback``),
then stop, start, details, containers, images, version, stale-containers and remove.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from typing import Any

import pytest

from integration.harness import REGISTRY_PORT, Sandbox
from integration.project import (
    HOOK_SCRIPT,
    Project,
    describe,
    make_project,
    no_traceback,
    server_run,
)

SERVICE = "e2eapp"
IMAGE = f"{Sandbox.registry}/{SERVICE}"


def container(version: str) -> str:
    return f"{SERVICE}-web-{version}"


def write_post_push(project: Project, *, fail: bool) -> None:
    """The recording hook as ``post-push``, exiting 1 after recording when ``fail``."""
    path = project.root / "hooks" / "post-push"
    path.write_text(HOOK_SCRIPT + ("exit 1\n" if fail else ""))
    path.chmod(0o755)


def hook_names(records: list[dict[str, str]]) -> list[str]:
    return [record["hook"] for record in records]


def run_recording(project: Project, *args: str, **kwargs: Any) -> dict[str, Any]:
    """Run the CLI with a fresh hook log; its result and the hooks that ran."""
    project.clear_hook_log()
    result = project.kamal(*args, **kwargs)
    return {"result": result, "hooks": project.hook_records()}


def registry_tags() -> list[str]:
    url = f"http://127.0.0.1:{REGISTRY_PORT}/v2/{SERVICE}/tags/list"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response).get("tags") or []


def image_tags(project: Project, host: str) -> list[str]:
    output = project.exec(host, f"docker image ls {IMAGE} --format '{{{{.Tag}}}}'")
    return sorted(output.split())


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1 and h2; env files pushed; a failing post-push hook."""
    h1, h2, _ = clean_servers.hosts
    project = make_project(tmp_path_factory.mktemp("app"), clean_servers, SERVICE, [h1, h2])
    project.kamal("env.push", version="v0")
    write_post_push(project, fail=True)
    return project


@pytest.fixture(scope="module")
def hosts(project: Project) -> list[str]:
    return project.sandbox.hosts[:2]


@pytest.fixture(scope="module")
def rejected(project: Project) -> dict[str, Any]:
    """``deploy --version v1`` with the failing ``post-push``."""
    return run_recording(project, "deploy", version="v1", check=False)


@pytest.fixture(scope="module")
def v1(project: Project, rejected: dict[str, Any]) -> dict[str, Any]:
    """``deploy --skip-push --version v1`` (the rejected deploy pushed v1)."""
    write_post_push(project, fail=False)
    return run_recording(project, "deploy", "--skip-push", version="v1")


@pytest.fixture(scope="module")
def v2(project: Project, v1: dict[str, Any]) -> dict[str, Any]:
    return run_recording(project, "deploy", version="v2")


@pytest.fixture(scope="module")
def rolled_back(project: Project, v2: dict[str, Any]) -> dict[str, Any]:
    return run_recording(project, "rollback", "v1")


# ------------------------------------------------------------------------------ hooks
def test_a_failing_post_push_stops_the_deploy_before_the_hosts_change(
    project: Project, hosts: list[str], rejected: dict[str, Any]
) -> None:
    result: subprocess.CompletedProcess[str] = rejected["result"]
    assert result.returncode == 1, describe(result)
    assert no_traceback(result)
    assert "Hook `post-push` failed" in result.stderr
    assert hook_names(rejected["hooks"]) == ["pre-connect", "pre-build", "post-push"]
    post_push = rejected["hooks"][-1]
    assert post_push["KAMAL_COMMAND"] == "deploy" and post_push["KAMAL_VERSION"] == "v1"
    assert "v1" in registry_tags(), "post-push runs once the image is in the registry"
    for host in hosts:
        assert project.containers(host, running=False) == []
        assert image_tags(project, host) == [], "no host may pull before post-push passed"
        assert project.containers(host, "name=^traefik$", running=False) == []
    assert not project.lock_directory_exists()


def test_a_skip_push_deploy_runs_no_build_hooks(
    project: Project, hosts: list[str], v1: dict[str, Any]
) -> None:
    assert hook_names(v1["hooks"]) == ["pre-connect", "pre-deploy", "post-deploy"]
    for host in hosts:
        assert project.running_versions(host) == ["v1"]


def test_post_push_runs_between_the_build_and_the_deploy(
    project: Project, hosts: list[str], v2: dict[str, Any]
) -> None:
    records = v2["hooks"]
    assert hook_names(records) == ["pre-connect", "pre-build", "post-push", "pre-deploy",
                                   "post-deploy"]  # fmt: skip
    post_push = records[2]
    assert post_push["KAMAL_VERSION"] == "v2" and post_push["KAMAL_COMMAND"] == "deploy"
    assert post_push["KAMAL_HOSTS"] == ",".join(hosts)
    assert post_push["KAMAL_RUNTIME"] == ""
    for host in hosts:
        assert project.running_versions(host) == ["v2"]


def test_rollback_runs_post_deploy_with_command_rollback_and_runtime(
    project: Project, hosts: list[str], rolled_back: dict[str, Any]
) -> None:
    records = rolled_back["hooks"]
    assert hook_names(records) == ["pre-connect", "pre-deploy", "post-deploy"]
    post = records[-1]
    assert post["KAMAL_COMMAND"] == "rollback" and post["KAMAL_VERSION"] == "v1"
    assert post["KAMAL_RUNTIME"].isdigit(), post
    for host in hosts:
        assert project.running_versions(host) == ["v1"]


# ----------------------------------------------------------------------- app commands
def test_version_shows_the_running_version_per_host(
    project: Project, hosts: list[str], rolled_back: object
) -> None:
    shown = project.kamal("app.version", version="v1").stdout
    for host in hosts:
        assert f"web on {host}:\nv1\n" in shown, shown


def test_details_shows_the_running_container(
    project: Project, hosts: list[str], rolled_back: object
) -> None:
    shown = project.kamal("app.details", version="v1").stdout
    for host in hosts:
        section = shown.split(f"App web on {host}:")[1].split("App web on")[0]
        assert container("v1") in section and container("v2") not in section


def test_containers_lists_running_and_stopped_ones(
    project: Project, hosts: list[str], rolled_back: object
) -> None:
    shown = project.kamal("app.containers", version="v1").stdout
    for host in hosts:
        section = shown.split(f"App containers on {host}:")[1].split("App containers on")[0]
        assert container("v1") in section and container("v2") in section
        assert "Exited" in section


def test_images_lists_both_versions(
    project: Project, hosts: list[str], rolled_back: object
) -> None:
    shown = project.kamal("app.images", version="v1").stdout
    for host in hosts:
        section = shown.split(f"App images on {host}:")[1].split("App images on")[0]
        tags = {line.split()[1] for line in section.splitlines()[1:] if line.strip()}
        assert {"v1", "v2"} <= tags, section
        assert {"v1", "v2"} <= set(image_tags(project, host))


def test_stale_containers_are_shown_then_stopped(
    project: Project, hosts: list[str], rolled_back: object
) -> None:
    """v2 started again beside v1 (the newer container, from the rollback) is stale."""
    project.kamal("app.start", version="v2")
    for host in hosts:
        assert project.running_versions(host) == ["v1", "v2"]
    shown = project.kamal("app.stale-containers", version="v1").stdout
    assert sorted(shown.splitlines()) == [f"[{host}] stale: {container('v2')}" for host in hosts]
    project.kamal("app.stale-containers", "--stop", version="v1")
    for host in hosts:
        assert project.running_versions(host) == ["v1"]


def test_stop_then_start(project: Project, hosts: list[str], rolled_back: object) -> None:
    project.kamal("app.stop", version="v1")
    for host in hosts:
        assert project.running_versions(host) == []
    project.kamal("app.start", version="v1")
    for host in hosts:
        assert project.running_versions(host) == ["v1"]
        assert project.fetch(host, "/version") == "v1"


def test_remove_takes_every_container_and_image_away(
    project: Project, hosts: list[str], rolled_back: object
) -> None:
    project.kamal("app.remove", version="v1")
    for host in hosts:
        assert project.containers(host, running=False) == []
        assert image_tags(project, host) == []
        code, output = server_run(project.sandbox, host, f"docker ps -a --filter name={SERVICE}")
        assert code == 0 and SERVICE not in output
