"""The deploy lock: a held lock stops a deploy before it changes anything."""

from __future__ import annotations

import subprocess

import pytest

from integration.harness import Sandbox
from integration.project import Project, describe, make_project, no_traceback

SERVICE = "e2elock"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1 and h2; env files pushed, nothing deployed."""
    sandbox = clean_servers
    h1, h2, _ = sandbox.hosts
    project = make_project(tmp_path_factory.mktemp("lock"), sandbox, SERVICE, [h1, h2])
    project.kamal("env.push", version="v0")
    return project


@pytest.fixture(scope="module")
def acquired(project: Project) -> subprocess.CompletedProcess[str]:
    """``lock.acquire --message testing`` (for version ``v-locked``)."""
    return project.kamal("lock.acquire", "--message", "testing", version="v-locked")


@pytest.fixture(scope="module")
def blocked(project: Project, acquired: object) -> subprocess.CompletedProcess[str]:
    """``deploy --version v1`` while the lock is held."""
    project.clear_hook_log()
    return project.kamal("deploy", version="v1", check=False)


def test_status_says_who_when_which_version_and_why(project: Project, acquired: object) -> None:
    performer = project.hook_records()[-1]["KAMAL_PERFORMER"]  # pre-connect of lock.acquire
    status = project.lock_status()
    assert performer and f"Locked by: {performer} at " in status, status
    assert " at 20" in status  # an ISO timestamp follows "at"
    assert "Version: v-locked" in status
    assert "Message: testing" in status
    assert project.lock_directory_exists()


def test_a_deploy_fails_on_the_held_lock_and_changes_nothing(
    project: Project, blocked: subprocess.CompletedProcess[str]
) -> None:
    assert blocked.returncode == 1, describe(blocked)
    assert no_traceback(blocked)
    assert "Deploy lock found" in blocked.stderr
    assert "Message: testing" in blocked.stderr
    for host in project.sandbox.hosts[:2]:
        assert project.containers(host, running=False) == []
        assert project.containers(host, "name=^traefik$", running=False) == []
    hooks = [record["hook"] for record in project.hook_records()]
    assert "pre-deploy" not in hooks and "post-deploy" not in hooks
    assert "Message: testing" in project.lock_status(), "the failed deploy must keep the lock"


def test_after_release_the_deploy_succeeds(project: Project, blocked: object) -> None:
    project.kamal("lock.release", version="v-locked")
    assert "There is no deploy lock" in project.lock_status()
    assert not project.lock_directory_exists()
    project.kamal("deploy", version="v1")
    for host in project.sandbox.hosts[:2]:
        assert project.running_versions(host) == ["v1"]
        assert project.fetch(host, "/version") == "v1"
    assert "There is no deploy lock" in project.lock_status()
