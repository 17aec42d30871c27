"""A v2 that never turns healthy: the deploy fails, the barrier holds, v1 keeps serving.

web on h1 and h2, workers on h3. v1 is the demo app; v2 is built from
``integration/apps/broken`` (another builder context), which runs but never answers ``/up``.
Then v4 from ``integration/apps/crashloop``, which exits at once (docker restarts it, over
and over): the deploy reports it within 5 s of its first exit, with its logs.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from integration.harness import Sandbox
from integration.project import (
    BROKEN_APP,
    REPO_ROOT,
    Project,
    checked_exec,
    describe,
    make_project,
    no_traceback,
)

SERVICE = "e2ebroken"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers; web on h1, h2; workers on h3; v1 deployed with ``setup``."""
    sandbox = clean_servers
    h1, h2, h3 = sandbox.hosts
    project = make_project(
        tmp_path_factory.mktemp("broken"), sandbox, SERVICE,
        {"web": [h1, h2], "workers": {"hosts": [h3], "cmd": "sleep 100000"}},
        stop_wait_time=2,  # `sleep` as PID 1 ignores SIGTERM: don't wait docker's 10 s for it
    )  # fmt: skip
    project.kamal("setup", version="v1")
    return project


@pytest.fixture(scope="module")
def failed(project: Project) -> subprocess.CompletedProcess[str]:
    """``deploy --version v2`` with the builder pointed at the broken app."""
    dockerfile = str(BROKEN_APP / "Dockerfile")
    project.config["builder"] = {
        "multiarch": False, "context": str(BROKEN_APP), "dockerfile": dockerfile,
    }  # fmt: skip
    project.write()
    project.clear_hook_log()
    return project.kamal("deploy", version="v2", check=False)


def test_the_deploy_fails_cleanly_naming_the_hosts(project: Project, failed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    assert failed.returncode == 1, describe(failed)
    assert no_traceback(failed), describe(failed)
    error = failed.stderr.split("ERROR:", 1)[-1]
    assert "ERROR:" in failed.stderr, describe(failed)
    for host in (h1, h2, h3):
        assert host in error, f"{host} not named in the error:\n{error}"
    assert f"{SERVICE}-web-v2" in error
    assert f"First web container is unhealthy, not booting workers on {h3}" in error
    assert "post-deploy" not in {r["hook"] for r in project.hook_records()}


def test_the_error_shows_the_new_containers_logs_and_health(
    project: Project, failed: object
) -> None:
    error = failed.stderr.split("ERROR:", 1)[-1]
    assert f"Logs of {SERVICE}-web-v2" in error
    assert "broken app: running, never serving /up" in error
    assert "Health:" in error and "unhealthy" in error


def test_web_still_serves_v1_and_no_v2_container_runs(project: Project, failed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2):
        assert project.running_versions(host, "web") == ["v1"]
        assert project.fetch(host, "/version") == "v1"
    for host in (h1, h2, h3):
        running = project.containers(host)
        assert not [name for name in running if name.endswith("-v2")], f"{host}: {running}"


def test_the_barrier_held_workers_still_run_v1(project: Project, failed: object) -> None:
    h3 = project.sandbox.hosts[2]
    assert project.running_versions(h3, "workers") == ["v1"]
    top = checked_exec(project.sandbox, h3, f"docker top {SERVICE}-workers-v1")
    assert "sleep 100000" in top


def test_waiting_roles_never_start_a_new_container_while_web_is_unhealthy(
    project: Project, failed: object
) -> None:
    """Workers queue at the barrier *before* booting: with web v2 unhealthy no v2 worker runs,
    not even briefly (Kamal: "First web container is unhealthy, not booting workers")."""
    h3 = project.sandbox.hosts[2]
    assert project.containers(h3, f"name=^{SERVICE}-workers-v2$", running=False) == []
    audit = checked_exec(project.sandbox, h3, f"cat /root/.kamal/{SERVICE}-audit.log")
    assert '[workers] "Booted app version v2"' not in audit


def test_the_lock_is_released(project: Project, failed: object) -> None:
    assert "There is no deploy lock" in project.lock_status()
    assert not project.lock_directory_exists()


def test_a_fixed_deploy_goes_through_afterwards(project: Project, failed: object) -> None:
    """With the lock free and v1 intact, deploying a good v3 works on every role."""
    project.config["builder"] = {
        "multiarch": False, "context": "app", "dockerfile": "app/Dockerfile",
    }  # fmt: skip
    project.write()
    project.kamal("deploy", version="v3")
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2):
        assert project.running_versions(host, "web") == ["v3"]
    assert project.running_versions(h3, "workers") == ["v3"]


CRASHLOOP_APP = REPO_ROOT / "integration" / "apps" / "crashloop"


@pytest.fixture(scope="module")
def crashed(project: Project) -> tuple[subprocess.CompletedProcess[str], float, list[float]]:
    """``deploy --version v4`` of the crash-looping app: the result, when it ended (this
    machine's clock, which the servers share) and the ``die`` times of web v4 on h1."""
    project.config["builder"] = {
        "multiarch": False, "context": str(CRASHLOOP_APP),
        "dockerfile": str(CRASHLOOP_APP / "Dockerfile"),
    }  # fmt: skip
    project.write()
    project.kamal("build.deliver", version="v4")  # built and pulled before the clock starts
    h1 = project.sandbox.hosts[0]
    since = checked_exec(project.sandbox, h1, "date +%s.%N").strip()
    result = project.kamal("deploy", "--skip-push", version="v4", check=False)
    ended = time.time()
    dies = checked_exec(
        project.sandbox, h1,
        f"docker events --since {since} --until {ended:.3f} --filter event=die "
        f"--filter container={SERVICE}-web-v4 --format '{{{{.TimeNano}}}}'",
    )  # fmt: skip
    return result, ended, [int(line) / 1e9 for line in dies.split()]


def test_a_crash_loop_is_reported_within_5s_of_its_first_exit(
    project: Project, crashed: tuple[subprocess.CompletedProcess[str], float, list[float]]
) -> None:
    result, ended, dies = crashed
    assert result.returncode == 1, describe(result)
    assert no_traceback(result), describe(result)
    assert dies, "the crash-looping container never exited"
    assert ended - dies[0] < 5.0, f"reported {ended - dies[0]:.1f}s after the first exit"
    error = result.stderr.split("ERROR:", 1)[-1]
    assert f"{SERVICE}-web-v4 on {project.sandbox.hosts[0]} not ready (crashed: " in error
    assert "crashloop app: missing DATABASE_URL, exiting" in error


def test_after_the_crash_loop_v3_still_serves(project: Project, crashed: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2):
        assert project.running_versions(host, "web") == ["v3"]
        assert project.fetch(host, "/version") == "v3"
    assert project.running_versions(h3, "workers") == ["v3"]
