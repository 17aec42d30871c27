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

from kamal_tasks.commands import app, cord, steps
from kamal_tasks.commands import health as health_commands
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.errors import HostsFailed
from kamal_tasks.flows import boot
from kamal_tasks.flows.app import stop_stale_containers
from kamal_tasks.options import Options
from kamal_tasks.output import Output
from kamal_tasks.runner import Result

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


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """``monotonic()`` stands still: the pauses the flow sleeps are exactly the planned ones."""
    monkeypatch.setattr(boot, "monotonic", lambda: 1000.0)


def wait_healthy(k: KamalContext, role_name: str, *, log_lines: int = 50) -> str:
    """The server-side wait for the new container of ``role_name`` to turn healthy."""
    return health_commands.wait_for_healthy(
        f"app-{role_name}-{VERSION}", budget=6, poll=0.25, log_lines=log_lines
    )


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


def container_of(command: str) -> str:
    """The container a server-side wait watches (``c=NAME;``)."""
    return command.split("c=", 1)[1].split(";", 1)[0]


def healthy_wait(state: str) -> tuple[str, int]:
    """What the wait for healthy prints and exits with, for a container in ``state``."""
    status, _, health = state.partition(" ")
    seen = f"status: {status} 0 {health}".rstrip()
    report = 'logs:\nboom: cannot bind port 3000\nhealth: {"Status":"unhealthy"}'
    if status != "running":
        return f"{seen}\ncrashed: {status}, restarted 0 times\n{report}\n", 3
    if health in ("healthy", ""):
        return f"{seen}\n{'healthy' if health else 'ready'}\n", 0
    return f"{seen}\ntimeout: running 0 {health}\n{report}\n", 4


class Scripted:
    """A responder: states per container, the running (old) version, whether a clashing
    container exists, and the old container's cord directory."""

    def __init__(
        self, states: dict[str, str], *, old: str = OLD, cord_dir: str = "", clash: bool = False
    ) -> None:
        self.states = states
        self.old = old
        self.cord_dir = cord_dir
        self.clash = clash

    def __call__(self, host: str, command: str) -> Any:
        if "echo kamal-renamed" in command:  # rename a clash, list the running containers
            mark = f"{steps.RENAMED_MARK}\n" if self.clash else ""
            role = command.split("label=role=", 1)[1].split()[0]
            return f"{mark}app-{role}-{self.old}\n" if self.old else mark
        if "echo no-cord" in command:  # cut the old cord and wait for unhealthy
            if not self.cord_dir:
                return "no-cord\n"
            old = self.states.get(container_of(command), "running unhealthy")
            if old.endswith(" healthy"):
                return Result(
                    host, command, stdout="status: running 0 healthy\ntimeout\n", exited=4
                )
            return "status: running 0 healthy\nstatus: running 0 unhealthy\nunhealthy\n"
        if "echo healthy" in command:
            stdout, exited = healthy_wait(self.states.get(container_of(command), "running"))
            return Result(host, command, stdout=stdout, exited=exited)
        return None


def step_commands(runner: DryRunner, host: str) -> list[str]:
    """The commands on ``host``, each reduced to a short name."""
    names = []
    for command in runner.commands_on(host):
        if "echo healthy" in command:
            names.append(f"wait-healthy {container_of(command)}")
        elif "echo no-cord" in command:
            names.append(f"cut-and-wait+stop {container_of(command)}")
        elif "echo kamal-renamed" in command:
            names.append("rename-clash+running-names")
        elif " && docker run " in command:
            names.append("audit+run" if " touch " not in command else "audit+cord+run")
        elif "docker tag " in command:
            names.append("audit+tag")
        elif "xargs docker stop" in command:
            names.append(f"stop {command.split('name=^', 1)[1].split('$', 1)[0]}")
        else:
            names.append(command)
    return names


# --- the barrier ----------------------------------------------------------------------------


def test_barrier_open_lets_workers_stop_their_old_container(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running healthy"})
    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=True)

    boot.boot(k, VERSION)

    web_healthy = index_of(runner, WEB, wait_healthy(k, "web"))
    worker_boots = next(
        i for i, (h, c) in enumerate(runner.commands) if h == WORKER and " docker run " in c
    )
    worker_stops_old = index_of(runner, WORKER, stop_of(k, "workers", OLD))
    assert web_healthy < worker_boots < worker_stops_old
    assert any(stop_of(k, "web", OLD) in command for command in runner.commands_on(WEB))
    # neither new container is stopped
    assert stop_of(k, "web", VERSION) not in runner.commands_on(WEB)
    assert stop_of(k, "workers", VERSION) not in runner.commands_on(WORKER)
    for host in (WEB, WORKER):
        assert runner.commands_on(host)[-1] == boot.combine(
            boot.audit(k, f"Tagging dhh/app:{VERSION} as the latest image"),
            app.tag_latest(k.config, VERSION),
        )


def test_barrier_closed_stops_new_containers_and_keeps_old_workers(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running unhealthy"})
    k, runner, sleeps, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=True)

    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)

    error = caught.value
    assert error.hosts == [WEB, WORKER]
    message = str(error)
    assert f"app-web-{VERSION} on {WEB} not ready (timeout: running 0 unhealthy)" in message
    assert f"Logs of app-web-{VERSION}:\n    boom: cannot bind port 3000" in message
    assert 'Health: {"Status":"unhealthy"}' in message
    assert f"First web container is unhealthy, not booting workers on {WORKER}" in message

    web, worker = runner.commands_on(WEB), runner.commands_on(WORKER)
    # one wait, on the server; no sleeps here
    assert web.count(wait_healthy(k, "web")) == 1
    assert sleeps == []
    assert stop_of(k, "web", VERSION) in web
    assert stop_of(k, "web", OLD) not in web
    # the worker booted nothing: no new container, its old one untouched
    assert not any("docker run" in command for command in worker)
    assert stop_of(k, "workers", OLD) not in worker
    # nothing was tagged latest
    assert not any(app.tag_latest(k.config, VERSION) in c for c in web + worker)


def test_barrier_closed_in_sequential_dry_run_order(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running unhealthy"})
    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=False)

    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)

    assert caught.value.hosts == [WEB, WORKER]
    assert step_commands(runner, WORKER) == ["rename-clash+running-names"]
    # every web command precedes every worker command
    hosts = [host for host, _ in runner.commands]
    assert hosts == sorted(hosts, key=lambda host: host != WEB)


def test_barrier_open_in_sequential_dry_run_order(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir="/x")
    k, runner, sleeps, _ = make_k(tmp_path, ROLES_RAW, responder, parallel=False)

    boot.boot(k, VERSION)

    workers = role(k, "workers")
    assert runner.commands_on(WORKER) == [
        steps.rename_clash_then_running_names(
            k.config, workers, VERSION, f"{VERSION}_replaced_abc123",
            boot.audit(k, f"Renaming container {VERSION} to {VERSION}_replaced_abc123"),
        ),
        boot.combine(
            boot.audit(k, f"Booted app version {VERSION}", role="workers"),
            app.run(k.config, workers, WORKER, version=VERSION, hostname=f"{WORKER}-abc123"),
        ),
        # no healthcheck: running for readiness_delay (5 s), watched on the server
        health_commands.wait_for_healthy(
            f"app-workers-{VERSION}", budget=6 + 5, ready_after=5, poll=0.25, log_lines=50
        ),
        stop_of(k, "workers", OLD),
        boot.combine(
            boot.audit(k, f"Tagging dhh/app:{VERSION} as the latest image"),
            app.tag_latest(k.config, VERSION),
        ),
    ]  # fmt: skip
    assert step_commands(runner, WEB) == [
        "rename-clash+running-names",
        "audit+cord+run",
        f"wait-healthy app-web-{VERSION}",
        "cut-and-wait+stop app-web-old",
        "audit+tag",
    ]
    # the web cord: cut 3 s after healthy (5 s less docker's 2 failed checks 1 s apart);
    # the old container's 5 s unhealthy before it stops pass on the server; the worker
    # sleeps nothing
    assert sleeps == [3]


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
    scripted = Scripted({})

    def responder(host: str, command: str) -> Any:
        if host == WEB and "echo kamal-renamed" in command:
            return 1  # e.g. the docker daemon is down on the web host
        return scripted(host, command)

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
    assert not any("docker run" in command for command in worker)
    assert stop_of(k, "workers", OLD) not in worker


# --- exited containers, rename, cord --------------------------------------------------------


def test_exited_container_fails_at_once(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "exited unhealthy"})
    k, runner, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW, responder)

    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)

    assert caught.value.hosts == [WEB]
    message = str(caught.value)
    assert f"app-web-{VERSION} on {WEB} not ready (crashed: exited, restarted 0 times)" in message
    assert f"Logs of app-web-{VERSION}:\n    boom: cannot bind port 3000" in message
    assert step_commands(runner, WEB) == [
        "rename-clash+running-names",
        "audit+cord+run",
        f"wait-healthy app-web-{VERSION}",
        f"stop app-web-{VERSION}",
    ]
    assert sleeps == []


def test_the_cut_counts_from_when_docker_called_the_new_container_healthy(
    tmp_path: Path,
) -> None:
    """The wait saw it healthy 1.25 s after Docker did (``ago: 1250``): the cut, 3 s after
    Docker's moment, is 1.75 s away, not 3 s."""
    scripted = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir="/x")

    def responder(host: str, command: str) -> Any:
        answer = scripted(host, command)
        if "echo healthy" in command:
            return Result(host, command, stdout=answer.stdout + "ago: 1250\n", exited=0)
        return answer

    k, _, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW, responder)
    boot.boot(k, VERSION)
    assert sleeps == [1.75]


def test_a_failing_cleanup_stop_is_said_and_the_real_error_kept(tmp_path: Path) -> None:
    from kamal_tasks.errors import ConnectionLost

    scripted = Scripted({f"app-web-{VERSION}": "exited unhealthy"})

    def responder(host: str, command: str) -> Any:
        if "xargs docker stop" in command:  # the cleanup stop of the new container
            raise ConnectionLost(host, command)
        return scripted(host, command)

    k, _, _, messages = make_k(tmp_path, WEB_ONLY_RAW, responder)
    with pytest.raises(HostsFailed) as caught:
        boot.boot(k, VERSION)
    assert "not ready (crashed: exited, restarted 0 times)" in str(caught.value)
    assert f"Could not stop the new container app-web-{VERSION} (lost the connection" in (
        messages.getvalue()
    )
    assert f"Stopped the new container app-web-{VERSION}" not in messages.getvalue()


def test_the_health_wait_shows_log_lines_of_the_container(tmp_path: Path) -> None:
    raw = {**WEB_ONLY_RAW, "healthcheck": {"max_attempts": 3, "log_lines": 12}}
    k, runner, _, _ = make_k(tmp_path, raw, Scripted({f"app-web-{VERSION}": "running healthy"}))
    boot.boot(k, VERSION)
    assert wait_healthy(k, "web", log_lines=12) in runner.commands_on(WEB)
    assert "docker logs --tail 12 " in wait_healthy(k, "web", log_lines=12)


def test_clashing_container_is_renamed_aside(tmp_path: Path) -> None:
    responder = Scripted({f"app-web-{VERSION}": "running healthy"}, old="", clash=True)
    k, runner, _, messages = make_k(tmp_path, WEB_ONLY_RAW, responder)
    boot.boot(k, VERSION)

    web = role(k, "web")
    audit = boot.audit(k, f"Renaming container {VERSION} to {VERSION}_replaced_abc123")
    assert runner.commands_on(WEB)[0] == (
        f'(if [ -n "$({app.container_id_for_version(k.config, web, VERSION)})" ]; then '
        f"echo kamal-renamed && {audit} && docker rename app-web-999 app-web-999_replaced_abc123"
        f" || exit 1; fi; {app.running_container_names(k.config, web)})"
    )
    assert f"Renaming container {VERSION} to {VERSION}_replaced_abc123" in messages.getvalue()
    # nothing ran: no old container to retire
    assert step_commands(runner, WEB)[1:] == [
        "audit+cord+run",
        f"wait-healthy app-web-{VERSION}",
        "audit+tag",
    ]


def test_cord_is_cut_then_old_container_waits_for_unhealthy(tmp_path: Path) -> None:
    boot_responder = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir="/x")
    k, runner, sleeps, messages = make_k(tmp_path, WEB_ONLY_RAW, boot_responder)
    web = role(k, "web")
    boot.boot(k, VERSION)

    commands = runner.commands_on(WEB)
    run = app.run(k.config, web, WEB, version=VERSION, cord_id="abc123", hostname=f"{WEB}-abc123")
    assert commands[1] == boot.combine(
        boot.audit(k, f"Booted app version {VERSION}", role="web"),
        cord.tie(".kamal/cords/app-web-abc123"),
        run,
    )
    assert commands[2:] == [
        wait_healthy(k, "web"),
        health_commands.cut_cord_and_wait(
            web, "app-web-old", budget=6, poll=0.25, notice=4, then=stop_of(k, "web", OLD)
        ),
        commands[-1],  # audit + tag
    ]
    assert "r=$((4000 - ago)); " in commands[3]  # the notice pause, on the server
    assert "done); else echo no-cord; fi; (docker container ls" in commands[3]
    # cut 3 s after healthy; the traefik_notice_delay (4 s) passes on the server
    assert sleeps == [3]
    assert "app-web-old turned unhealthy; stopped it 4s later" in messages.getvalue()


def test_cord_never_unhealthy_stops_anyway(tmp_path: Path) -> None:
    scripted = Scripted(
        {f"app-web-{VERSION}": "running healthy", "app-web-old": "running healthy"},
        cord_dir="/x",
    )
    k, runner, sleeps, messages = make_k(tmp_path, WEB_ONLY_RAW, scripted)

    boot.boot(k, VERSION)

    assert step_commands(runner, WEB)[3:] == ["cut-and-wait+stop app-web-old", "audit+tag"]
    assert sleeps == [3]
    assert "app-web-old never turned unhealthy after its cord was cut; stopped it" in (
        messages.getvalue()
    )


def test_no_cord_directory_means_plain_stop(tmp_path: Path) -> None:
    scripted = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir="")
    k, runner, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW, scripted)

    boot.boot(k, VERSION)

    assert step_commands(runner, WEB)[3:] == ["cut-and-wait+stop app-web-old", "audit+tag"]
    assert sleeps == [3]  # only the wait before the cut


@pytest.mark.parametrize(
    ("healthcheck", "options", "lead"),
    [
        ({}, {}, 3.0),  # 5 s less 2 intervals of 1 s
        ({"interval": "500ms"}, {}, 4.0),
        ({"interval": "2s"}, {}, 1.0),
        ({"interval": "5s"}, {}, 0.0),  # docker alone takes longer than the delay
        ({"traefik_route_delay": 10}, {"health-retries": 5}, 6.0),
        ({"traefik_route_delay": 0}, {}, 0.0),
    ],
)
def test_the_cord_is_cut_so_the_old_one_turns_unhealthy_no_sooner_than_the_delay(
    tmp_path: Path, healthcheck: dict[str, Any], options: dict[str, Any], lead: float
) -> None:
    raw = {**WEB_ONLY_RAW, "healthcheck": {**WEB_ONLY_RAW["healthcheck"], **healthcheck}}
    if options:
        raw["servers"] = {"web": {"hosts": [WEB], "options": options}}
    k, _, _, _ = make_k(tmp_path, raw)
    step = boot.RoleBoot(k, DryRunner().host(WEB), role(k, "web"), VERSION, None)
    step.healthy_at = 100.0
    assert step.cut_at() == 100.0 + lead


def test_time_already_spent_since_healthy_is_not_waited_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    k, _, sleeps, _ = make_k(tmp_path, WEB_ONLY_RAW)
    step = boot.RoleBoot(k, DryRunner().host(WEB), role(k, "web"), VERSION, None)
    monkeypatch.setattr(boot, "monotonic", lambda: 101.25)
    step.pause_until(103.0)
    step.pause_until(101.0)
    assert sleeps == [1.75]


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
    on_web = runner.commands_on(WEB)  # the primary: inside the deploy lock, taken and released
    assert "mkdir .kamal/locks/app" in on_web[0]
    assert on_web[-1] == "rm .kamal/locks/app/details && rm -r .kamal/locks/app"
    assert on_web[1:-1] == [
        app.running_container_names(k.config, web),
        stop_of(k, "web", "2"),
        stop_of(k, "web", "1"),
    ]
    assert runner.commands_on(WORKER) == [app.running_container_names(k.config, workers)]
    assert "Stopping stale container app-web-2" in messages.getvalue()


def test_deploys_stop_stale_containers_from_the_boots_first_look(tmp_path: Path) -> None:
    scripted = Scripted({f"app-web-{VERSION}": "running healthy"}, cord_dir="/x")

    def responder(host: str, command: str) -> Any:
        if "echo kamal-renamed" in command:  # newest first: the current one, then two stale
            return f"app-web-{OLD}\napp-web-2\napp-web-1\n"
        return scripted(host, command)

    k, runner, _, messages = make_k(tmp_path, WEB_ONLY_RAW, responder)
    boot.boot(k, VERSION, stop_stale=True)
    assert step_commands(runner, WEB) == [
        "rename-clash+running-names",
        "stop app-web-2",
        "stop app-web-1",
        "audit+cord+run",
        f"wait-healthy app-web-{VERSION}",
        f"cut-and-wait+stop app-web-{OLD}",
        "audit+tag",
    ]
    assert "Stopping stale container app-web-2" in messages.getvalue()

    k, runner, _, _ = make_k(tmp_path, WEB_ONLY_RAW, responder)
    boot.boot(k, VERSION)  # a rollback: stale containers are left alone
    assert not any(name.startswith("stop ") for name in step_commands(runner, WEB))


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
    runs = [host for host, c in runner.commands if " && docker run --detach" in c]
    assert runs == [WEB, "1.1.1.2", WORKER]
    assert sleeps == [6, 6]  # two waits between groups (readiness is waited on the server)


def test_app_containers_get_kamals_hostname_from_the_id_seam(tmp_path: Path) -> None:
    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, Scripted({}))
    ids = iter(["r0", "c0c0c0c0c0c0c0c0", "0123456789abcdef", "r1", "fedcba9876543210"])
    k.new_id = lambda: next(ids)
    boot.boot(k, VERSION)

    web, workers = role(k, "web"), role(k, "workers")
    # each role draws a rename token first, then the web role its cord id, then the
    # hostname's; the worker has no cord
    assert app.run(
        k.config,
        web,
        WEB,
        version=VERSION,
        cord_id="c0c0c0c0c0c0c0c0",
        hostname="1.1.1.1-0123456789ab",
    ) in "".join(runner.commands_on(WEB))
    assert app.run(
        k.config, workers, WORKER, version=VERSION, hostname="1.1.1.3-fedcba987654"
    ) in "".join(runner.commands_on(WORKER))
    runs = [c for _, c in runner.commands if " && docker run" in c]
    assert [c.split(" --hostname ")[1].split(" ")[0] for c in runs] == [
        "1.1.1.1-0123456789ab",
        "1.1.1.3-fedcba987654",
    ]


@pytest.mark.parametrize(("flow", "docker"), [("start", "docker start "), ("stop", "docker stop")])
def test_app_start_and_stop_run_inside_the_deploy_lock(
    tmp_path: Path, flow: str, docker: str
) -> None:
    from kamal_tasks.errors import LockHeld
    from kamal_tasks.flows import app as app_flows

    k, runner, _, _ = make_k(tmp_path, ROLES_RAW)
    getattr(app_flows, flow)(k)
    on_web = runner.commands_on(WEB)  # the primary
    assert "mkdir .kamal/locks/app" in on_web[0]
    assert on_web[-1] == "rm .kamal/locks/app/details && rm -r .kamal/locks/app"
    assert any(docker in command for command in on_web[1:-1])

    def lock_held(host: str, command: str) -> Any:
        return 1 if "mkdir .kamal/locks/app" in command else None

    k, runner, _, _ = make_k(tmp_path, ROLES_RAW, lock_held)
    with pytest.raises(LockHeld):
        getattr(app_flows, flow)(k)
    assert not any(docker in command for _, command in runner.commands)
