"""The boot flow on the recording dry runner: the deployment barrier, renaming a clashing
container, the cord, stale containers and the health wait as seen from ``boot()``."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import app, cord
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.errors import HostsFailed
from kamal_tasks.flows import boot
from kamal_tasks.flows.deploy import stop_stale_containers
from kamal_tasks.options import Options
from kamal_tasks.output import Output

WEB, WORKER = "1.1.1.1", "1.1.1.3"
VERSION, OLD = "999", "old"

ROLES_RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {"web": [WEB], "workers": {"hosts": [WORKER], "cmd": "bin/jobs"}},
    "registry": {"username": "user", "password": "pw"},
    "healthcheck": {"max_attempts": 3},
    "readiness_delay": 5,
}

WEB_ONLY_RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": [WEB],
    "registry": {"username": "user", "password": "pw"},
    "healthcheck": {"max_attempts": 3, "traefik_notice_delay": 4},
}


def make_k(
    tmp_path: Path,
    raw: dict[str, Any],
    responder: Callable[[str, str], Any] | None = None,
    *,
    parallel: bool = False,
) -> tuple[KamalContext, DryRunner, list[float], io.StringIO]:
    messages = io.StringIO()
    runner = DryRunner(
        Output(stream=io.StringIO(), errors=messages),
        responder=responder,
        echo=False,
        parallel=parallel,
    )
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    k._config = Config(raw, version=VERSION, env_values={})
    sleeps: list[float] = []
    k.sleep = sleeps.append
    k.new_id = lambda: "abc123"
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner, sleeps, messages


def role(k: KamalContext, name: str) -> Any:
    return k.config.role(name)


def state_of(k: KamalContext, role_name: str, version: str) -> str:
    return app.state(k.config, role(k, role_name), version)


def stop_of(k: KamalContext, role_name: str, version: str) -> str:
    return app.stop(k.config, role(k, role_name), version)


def index_of(runner: DryRunner, host: str, command: str, *, last: bool = False) -> int:
    """Index in the global (cross-host) record of ``command`` on ``host``."""
    found = [i for i, entry in enumerate(runner.commands) if entry == (host, command)]
    assert found, f"{command!r} never ran on {host}"
    return found[-1] if last else found[0]


class Scripted:
    """A responder: states per container, the running (old) version, logs and health."""

    def __init__(self, states: dict[str, str], *, old: str = OLD, cord_dir: str = "") -> None:
        self.states = states
        self.old = old
        self.cord_dir = cord_dir

    def __call__(self, host: str, command: str) -> Any:
        if "docker ps --latest --format" in command:
            return self.old
        if command.startswith("docker logs "):
            return "boom: cannot bind port 3000\n"
        if "{{json .State.Health}}" in command:
            return '{"Status":"unhealthy"}'
        if ".Mounts" in command:
            return self.cord_dir
        if "{{.State.Status}}" in command:
            container = command.split("name=^", 1)[1].split("$", 1)[0]
            return self.states.get(container, "running")
        return None


# --- the barrier ----------------------------------------------------------------------------


def test_barrier_open_lets_workers_stop_their_old_container(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running healthy"})
    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=True)

    boot.boot(k, VERSION)

    web_healthy = index_of(runner, WEB, state_of(k, "web", VERSION), last=True)
    workers = role(k, "workers")
    worker_boots = index_of(
        runner,
        WORKER,
        app.run(k.config, workers, WORKER, version=VERSION, hostname=f"{WORKER}-abc123"),
    )
    worker_stops_old = index_of(runner, WORKER, stop_of(k, "workers", OLD))
    assert web_healthy < worker_boots < worker_stops_old
    assert stop_of(k, "web", OLD) in runner.commands_on(WEB)
    # neither new container is stopped
    assert stop_of(k, "web", VERSION) not in runner.commands_on(WEB)
    assert stop_of(k, "workers", VERSION) not in runner.commands_on(WORKER)
    for host in (WEB, WORKER):
        assert runner.commands_on(host)[-1] == app.tag_latest(k.config, VERSION)


def test_barrier_closed_stops_new_containers_and_keeps_old_workers(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running unhealthy"})
    k, runner, sleeps, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=True)

    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)

    error = caught.value
    assert error.hosts == [WEB, WORKER]
    message = str(error)
    assert f"app-web-{VERSION} on {WEB} not ready (unhealthy)" in message
    assert "boom: cannot bind port 3000" in message
    assert '{"Status":"unhealthy"}' in message
    assert f"First web container is unhealthy, not booting workers on {WORKER}" in message

    web, worker = runner.commands_on(WEB), runner.commands_on(WORKER)
    # max_attempts 3: the first query and three retries, sleeping 1, 2, 3 s
    assert web.count(state_of(k, "web", VERSION)) == 4
    assert sleeps == [1, 2, 3]  # the worker never booted, so never waited readiness_delay
    assert stop_of(k, "web", VERSION) in web
    assert stop_of(k, "web", OLD) not in web
    # the worker booted nothing: no new container, its old one untouched
    workers = role(k, "workers")
    assert (
        app.run(k.config, workers, WORKER, version=VERSION, hostname=f"{WORKER}-abc123")
        not in worker
    )
    assert not any(command.startswith("docker run") for command in worker)
    assert stop_of(k, "workers", OLD) not in worker
    # nothing was tagged latest
    assert app.tag_latest(k.config, VERSION) not in web + worker


def test_barrier_closed_in_sequential_dry_run_order(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running unhealthy"})
    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=False)

    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)

    assert caught.value.hosts == [WEB, WORKER]
    workers = role(k, "workers")
    assert runner.commands_on(WORKER) == [
        app.container_id_for_version(k.config, workers, VERSION),
        app.current_running_version(k.config, workers),
    ]
    # every web command precedes every worker command
    hosts = [host for host, _ in runner.commands]
    assert hosts == sorted(hosts, key=lambda host: host != WEB)


def test_barrier_open_in_sequential_dry_run_order(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running healthy"})
    k, runner, sleeps, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=False)

    boot.boot(k, VERSION)

    workers = role(k, "workers")
    assert runner.commands_on(WORKER) == [
        app.container_id_for_version(k.config, workers, VERSION),
        app.current_running_version(k.config, workers),
        boot.audit(k, f"Booted app version {VERSION}", role="workers"),
        app.run(k.config, workers, WORKER, version=VERSION, hostname=f"{WORKER}-abc123"),
        state_of(k, "workers", VERSION),
        stop_of(k, "workers", OLD),
        boot.audit(k, f"Tagging dhh/app:{VERSION} as the latest image"),
        app.tag_latest(k.config, VERSION),
    ]
    # the worker has no healthcheck: "running" then readiness_delay (5)
    assert sleeps == [5]


def test_barrier_decides_once() -> None:
    barrier = boot.Barrier()
    assert barrier.open() is True
    assert barrier.close() is False
    assert barrier.wait() is True
    closed = boot.Barrier()
    assert closed.close() is True
    assert closed.open() is False
    assert closed.wait() is False


def test_no_barrier_for_a_single_role(tmp_path: Path) -> None:
    k, _, _, _ = make_k(tmp_path, WEB_ONLY_RAW)
    assert boot.needs_barrier(k) is False
    k2, _, _, _ = make_k(tmp_path, ROLES_RAW)
    assert boot.needs_barrier(k2) is True


def test_primary_failing_before_start_still_closes_the_barrier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a primary-role failure before ``docker run`` (here the clash lookup) must
    close the barrier too, or the waiting roles block forever."""
    barriers: list[boot.Barrier] = []

    class Recorded(boot.Barrier):
        def __init__(self) -> None:
            super().__init__()
            barriers.append(self)

    monkeypatch.setattr(boot, "Barrier", Recorded)
    web_lookup = f"--filter name=^app-web-{VERSION}$ --quiet"

    def responder(host: str, command: str) -> Any:
        if command.endswith(web_lookup):
            return 1  # e.g. the docker daemon is down on the web host
        if "docker ps --latest --format" in command:
            return OLD
        if "{{.State.Status}}" in command:
            return "running"
        return None

    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=False)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            boot.boot(k, VERSION)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    stuck = thread.is_alive()
    for barrier in barriers:  # unblock the worker so the thread can end
        barrier.close()
    thread.join(3)
    assert not stuck, "the worker blocked at a barrier nobody decides"
    assert isinstance(outcome[0], HostsFailed)
    assert outcome[0].hosts == [WEB, WORKER]
    worker = runner.commands_on(WORKER)
    assert not any(command.startswith("docker run") for command in worker)
    assert stop_of(k, "workers", OLD) not in worker


# --- exited containers, rename, cord --------------------------------------------------------


def test_exited_container_fails_at_once(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "exited unhealthy"})
    k, runner, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW, responder)

    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)

    assert caught.value.hosts == [WEB]
    assert f"app-web-{VERSION} on {WEB} not ready (exited)" in str(caught.value)
    web = runner.commands_on(WEB)
    assert web.count(state_of(k, "web", VERSION)) == 1
    assert sleeps == []
    assert web[-1] == stop_of(k, "web", VERSION)
    assert stop_of(k, "web", OLD) not in web


def test_clashing_container_is_renamed_aside(tmp_path: Path) -> None:
    def responder(host: str, command: str) -> Any:
        if command == app.container_id_for_version(k.config, role(k, "web"), VERSION):
            return "f00d\n"
        if "docker ps --latest --format" in command:
            return ""
        if "{{.State.Status}}" in command:
            return "running healthy"
        return None

    k, runner, _, messages = make_k(tmp_path, WEB_ONLY_RAW, responder)
    boot.boot(k, VERSION)

    web = role(k, "web")
    assert runner.commands_on(WEB)[:4] == [
        app.container_id_for_version(k.config, web, VERSION),
        boot.audit(k, f"Renaming container {VERSION} to {VERSION}_replaced_abc123"),
        "docker rename app-web-999 app-web-999_replaced_abc123",
        app.current_running_version(k.config, web),
    ]
    assert f"Renaming container {VERSION} to {VERSION}_replaced_abc123" in messages.getvalue()


def test_cord_is_cut_then_old_container_waits_for_unhealthy(tmp_path: Path) -> None:
    cord_dir = ".kamal/cords/app-web-0ld"
    answers = iter(["running healthy", "running unhealthy"])
    boot_responder = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir=cord_dir)

    def scripted(host: str, command: str) -> Any:
        if "name=^app-web-old$" in command and "{{.State.Status}}" in command:
            return next(answers)
        return boot_responder(host, command)

    k, runner, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW, scripted)
    web = role(k, "web")
    boot.boot(k, VERSION)

    commands = runner.commands_on(WEB)
    start = commands.index(
        app.run(k.config, web, WEB, version=VERSION, cord_id="abc123", hostname=f"{WEB}-abc123")
    )
    assert commands[start - 1] == cord.tie(".kamal/cords/app-web-abc123")
    assert commands[start + 1 : start + 7] == [
        state_of(k, "web", VERSION),
        cord.directory_of(web, "app-web-old"),
        f"rm -r {cord_dir}",
        state_of(k, "web", OLD),
        state_of(k, "web", OLD),
        stop_of(k, "web", OLD),
    ]
    # healthy at once; then one retry (1 s) and the traefik_notice_delay (4 s)
    assert sleeps == [1, 4]


def test_cord_never_unhealthy_stops_anyway(tmp_path: Path) -> None:
    cord_dir = ".kamal/cords/app-web-0ld"
    scripted = Scripted(
        {f"app-web-{VERSION}": "running healthy", "app-web-old": "running healthy"},
        cord_dir=cord_dir,
    )
    k, runner, sleeps, messages = make_k(tmp_path, WEB_ONLY_RAW, scripted)

    boot.boot(k, VERSION)

    commands = runner.commands_on(WEB)
    assert commands.count(state_of(k, "web", OLD)) == 4
    cut = commands.index(f"rm -r {cord_dir}")
    assert commands.index(stop_of(k, "web", OLD)) > cut
    assert sleeps == [1, 2, 3]  # no traefik_notice_delay pause
    assert "app-web-old never turned unhealthy after its cord was cut; stopping it" in (
        messages.getvalue()
    )


def test_no_cord_directory_means_plain_stop(tmp_path: Path) -> None:
    scripted = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir="")
    k, runner, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW, scripted)

    boot.boot(k, VERSION)

    commands = runner.commands_on(WEB)
    web = role(k, "web")
    i = commands.index(cord.directory_of(web, "app-web-old"))
    assert commands[i + 1] == stop_of(k, "web", OLD)
    assert not any(c.startswith("rm -r") for c in commands)
    assert sleeps == []


# --- stale containers -----------------------------------------------------------------------


def test_stale_containers_beyond_the_newest_are_stopped(tmp_path: Path) -> None:
    def responder(host: str, command: str) -> Any:
        if "label=role=web" in command and command.startswith("docker ps "):
            return "app-web-3\napp-web-2\napp-web-1\n"
        if "label=role=workers" in command and command.startswith("docker ps "):
            return "app-workers-3\n"
        return None

    k, runner, _, messages = make_k(tmp_path, ROLES_RAW, responder)
    stop_stale_containers(k)

    web, workers = role(k, "web"), role(k, "workers")
    assert runner.commands_on(WEB) == [
        app.running_container_names(k.config, web),
        stop_of(k, "web", "2"),
        stop_of(k, "web", "1"),
    ]
    assert runner.commands_on(WORKER) == [app.running_container_names(k.config, workers)]
    assert "Stopping stale container app-web-2" in messages.getvalue()


# --- boot groups ----------------------------------------------------------------------------


def test_boot_limit_boots_group_by_group_with_a_wait(tmp_path: Path) -> None:
    raw = {
        **ROLES_RAW,
        "servers": {"web": [WEB, "1.1.1.2"], "workers": {"hosts": [WORKER], "cmd": "bin/jobs"}},
        "boot": {"limit": 1, "wait": 6},
    }
    scripted = Scripted({f"app-web-{VERSION}": "running healthy"}, old="")
    k, runner, sleeps, _ = make_k(tmp_path, raw, scripted, parallel=True)

    boot.boot(k, VERSION)

    assert boot.boot_groups(k) == [[WEB], ["1.1.1.2"], [WORKER]]
    runs = [host for host, c in runner.commands if c.startswith("docker run --detach")]
    assert runs == [WEB, "1.1.1.2", WORKER]
    assert sleeps == [6, 6, 5]  # two waits between groups, then the worker's readiness_delay


def test_app_containers_get_kamals_hostname_from_the_id_seam(tmp_path: Path) -> None:
    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, Scripted({}))
    ids = iter(["c0c0c0c0c0c0c0c0", "0123456789abcdef", "fedcba9876543210"])
    k.new_id = lambda: next(ids)
    boot.boot(k, VERSION)

    web, workers = role(k, "web"), role(k, "workers")
    # the web role draws its cord id first, then the hostname's; the worker has no cord
    assert app.run(
        k.config,
        web,
        WEB,
        version=VERSION,
        cord_id="c0c0c0c0c0c0c0c0",
        hostname="1.1.1.1-0123456789ab",
    ) in runner.commands_on(WEB)
    assert app.run(
        k.config, workers, WORKER, version=VERSION, hostname="1.1.1.3-fedcba987654"
    ) in runner.commands_on(WORKER)
    runs = [c for _, c in runner.commands if c.startswith("docker run")]
    assert [c.split(" --hostname ")[1].split(" ")[0] for c in runs] == [
        "1.1.1.1-0123456789ab",
        "1.1.1.3-fedcba987654",
    ]
