"""The top-level flows on the recording dry runner: the order of deploy's steps, redeploy,
rollback and setup, and the lock released whatever happens."""

from __future__ import annotations

import io
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import app, builder, prune, server, traefik
from kamal_tasks.commands import steps as combined
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner, Responder
from kamal_tasks.errors import HostsFailed
from kamal_tasks.flows import deploy as flows
from kamal_tasks.flows import env
from kamal_tasks.flows.dry_run import assume_success
from kamal_tasks.options import Options
from kamal_tasks.output import Output
from kamal_tasks.runner import Result

HOSTS = ["1.1.1.1", "1.1.1.2", "1.1.1.3"]
PRIMARY = "1.1.1.1"
RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {"web": HOSTS[:2], "workers": HOSTS[2:]},
    "registry": {"server": "registry.example.com", "username": "user", "password": "pw"},
    "builder": {"multiarch": False},
    "env": {"secret": ["DB_PASSWORD"]},
    "accessories": {"redis": {"image": "redis:7", "host": "1.1.1.9"}},
}
HOOKS = ("pre-build", "pre-deploy", "post-deploy", "docker-setup")
LOGIN = 'docker login registry.example.com -u "user" --password-stdin'
REMOTE_LOGIN = (  # on the hosts: skipped where these very credentials are stored already
    '(IFS= read -r auth; f="${DOCKER_CONFIG:-$HOME/.docker}/config.json"; '
    "stored=$(tr -d ' \\t\\r\\n' < \"$f\" 2>/dev/null); "
    'case "$stored" in *\'"registry.example.com":{"auth":"\'"$auth"\'"}\'*) '
    f'echo "Already logged in"; cat >/dev/null ;; *) {LOGIN} ;; esac)'
)
PULL = (
    "docker pull registry.example.com/dhh/app:999 && (docker inspect -f "
    "'{{ .Config.Labels.service }}' registry.example.com/dhh/app:999 | grep -x app || "
    "(echo \"Image registry.example.com/dhh/app:999 is missing the 'service' label\" && exit 1))"
)
#: The start of the one command taking the lock (the locks directory, then the lock).
ENSURE_LOCKS = "mkdir -p .kamal/locks && mkdir .kamal/locks/app && (echo "
RELEASE = "rm .kamal/locks/app/details && rm -r .kamal/locks/app"


@pytest.fixture(autouse=True)
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work from the project root, as the CLI does (hooks are shown relative to it)."""
    monkeypatch.chdir(tmp_path)


def make_k(
    tmp_path: Path, responder: Responder | None = assume_success, *, version: str = "999"
) -> tuple[KamalContext, DryRunner]:
    hooks = tmp_path / ".kamal" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        (hooks / name).write_text("#!/bin/sh\n")
        (hooks / name).chmod(0o755 | stat.S_IEXEC)
    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()), responder=responder,
                       echo=False)  # fmt: skip
    k = KamalContext(None, Options(), runner=runner, root=tmp_path)
    values = {"DB_PASSWORD": "s3cr3t-db"}
    k._config = Config(RAW, version=version, env_values=values)
    k.env_values = values
    k.sleep = lambda seconds: None
    k.new_id = lambda: "abc123"
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner


def hook(name: str) -> tuple[str, str]:
    return ("local", f".kamal/hooks/{name}")


def first(runner: DryRunner, entry: tuple[str, str]) -> int:
    assert entry in runner.commands, f"{entry} was not run"
    return runner.commands.index(entry)


def first_matching(runner: DryRunner, host: str, start: str) -> int:
    found = [i for i, (h, c) in enumerate(runner.commands) if h == host and c.startswith(start)]
    assert found, f"no {start!r} on {host}"
    return found[0]


def first_containing(runner: DryRunner, host: str, part: str) -> int:
    found = [i for i, (h, c) in enumerate(runner.commands) if h == host and part in c]
    assert found, f"no {part!r} on {host}"
    return found[0]


def last_matching(runner: DryRunner, host: str, start: str) -> int:
    found = [i for i, (h, c) in enumerate(runner.commands) if h == host and c.startswith(start)]
    assert found, f"no {start!r} on {host}"
    return found[-1]


def web_run(k: KamalContext, host: str = PRIMARY) -> tuple[str, str]:
    role = k.config.role("web")
    command = app.run(
        k.config, role, host, version=k.config.version, cord_id="abc123", hostname=f"{host}-abc123"
    )
    return (host, command)


def test_deploy_runs_its_steps_in_order(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    flows.deploy(k)

    config = k.config
    steps = [
        first(runner, ("local", LOGIN)),
        first(runner, (PRIMARY, REMOTE_LOGIN)),
        first(runner, hook("pre-build")),
        first(runner, ("local", builder.push(config))),
        first_matching(runner, PRIMARY, ENSURE_LOCKS),
        first(runner, (PRIMARY, PULL)),
        first(runner, ("1.1.1.3", PULL)),
        first(runner, hook("pre-deploy")),
        first(runner, (PRIMARY, traefik.start_or_run(config))),
        # the stale look is the boot's first command (with the clash rename)
        first_containing(runner, PRIMARY, app.running_container_names(config, config.role("web"))),
        first_containing(runner, *web_run(k)),
        first_containing(runner, "1.1.1.3", app.tag_latest(config)),
        first(runner, (PRIMARY, combined.prune_all(config, config.retain_containers))),
        first(runner, (PRIMARY, RELEASE)),
        first(runner, hook("post-deploy")),
    ]
    assert steps == sorted(steps)
    assert runner.commands[-2:] == [(PRIMARY, RELEASE), hook("post-deploy")]
    # every host logged in and pulled; traefik only on web hosts
    for host in HOSTS:
        assert REMOTE_LOGIN in runner.commands_on(host)
        assert PULL in runner.commands_on(host)
    assert traefik.start_or_run(config) not in runner.commands_on("1.1.1.3")
    # the lock lives on the primary host only
    assert [h for h, c in runner.commands if c.startswith(ENSURE_LOCKS) or c == RELEASE] == [
        PRIMARY,
        PRIMARY,
    ]
    # the deploy touches no accessory host
    assert "1.1.1.9" not in {h for h, _ in runner.commands}


def test_deploy_with_skip_push_pulls_without_building(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    flows.deploy(k, skip_push=True)

    assert runner.commands_on("local") == [
        ".kamal/hooks/pre-deploy",
        ".kamal/hooks/post-deploy",
    ]
    assert hook("pre-build") not in runner.commands
    for host, role in zip(HOSTS, ("web", "web", "workers"), strict=True):
        commands = [c for c in runner.commands_on(host) if not c.startswith("mkdir ")]
        assert commands[:3] == [f"test -f .kamal/env/roles/app-{role}.env", REMOTE_LOGIN, PULL]
    assert_pulled_inside_the_lock(runner)


def assert_pulled_inside_the_lock(runner: DryRunner) -> None:
    """The lock is acquired before the first pull (or image check) on every host, and
    released after the last image removal."""
    acquire = last_matching(runner, PRIMARY, ENSURE_LOCKS)
    release = len(runner.commands) - 1 - runner.commands[::-1].index((PRIMARY, RELEASE))
    assert "TWVzc2FnZTogUHVsbGluZ" not in runner.commands[acquire][1]  # one lock: not "Pulling"
    image_work = [
        i
        for i, (_, command) in enumerate(runner.commands)
        if command.startswith(("docker pull", "docker inspect", "docker tag", "docker image"))
        or "docker rmi" in command
    ]
    pulled_on = {
        runner.commands[i][0] for i in image_work if "docker pull" in runner.commands[i][1]
    }
    assert pulled_on == set(HOSTS)
    assert acquire < min(image_work) and max(image_work) < release


@pytest.mark.parametrize("skip_push", [False, True])
@pytest.mark.parametrize("flow", [flows.deploy, flows.redeploy, flows.setup])
def test_pull_image_checks_and_removals_happen_inside_the_lock(
    tmp_path: Path, flow: Any, skip_push: bool
) -> None:
    k, runner = make_k(tmp_path)
    flow(k, skip_push=skip_push)
    assert_pulled_inside_the_lock(runner)
    if flow is not flows.setup:  # setup also locks around `env push`
        assert [c for _, c in runner.commands].count(RELEASE) == 1


@pytest.mark.parametrize("flow", [flows.deploy, flows.redeploy])
def test_missing_env_file_stops_before_anything_changes(tmp_path: Path, flow: Any) -> None:
    def responder(host: str, command: str) -> Any:
        if host == "1.1.1.3" and command == "test -f .kamal/env/roles/app-workers.env":
            return 1
        return assume_success(host, command)

    k, runner = make_k(tmp_path, responder)
    with pytest.raises(env.EnvFilesMissing) as caught:
        flow(k)

    assert caught.value.missing == {"1.1.1.3": [".kamal/env/roles/app-workers.env"]}
    assert "1.1.1.3: .kamal/env/roles/app-workers.env" in str(caught.value)
    # only the checks ran: no login, build, pull, lock or hook
    assert sorted(runner.commands) == sorted(
        [
            (PRIMARY, "test -f .kamal/env/roles/app-web.env"),
            ("1.1.1.2", "test -f .kamal/env/roles/app-web.env"),
            ("1.1.1.3", "test -f .kamal/env/roles/app-workers.env"),
        ]
    )


def test_deploy_failing_boot_releases_the_lock_and_skips_the_rest(tmp_path: Path) -> None:
    def responder(host: str, command: str) -> Any:
        if "echo healthy" in command and host == "1.1.1.2":  # the wait for healthy
            return Result(host, command, stdout="crashed: exited, restarted 0 times\n", exited=3)
        return None

    k, runner = make_k(tmp_path, responder)
    with pytest.raises(HostsFailed) as caught:
        flows.deploy(k)

    assert caught.value.hosts == ["1.1.1.2"]
    assert runner.commands[-1] == (PRIMARY, RELEASE)
    assert hook("post-deploy") not in runner.commands
    assert not any(prune.stopped_containers(k.config) in c for c in runner.commands_on(PRIMARY))
    assert not any(app.tag_latest(k.config) in c for c in runner.commands_on(PRIMARY))


def test_redeploy_skips_login_traefik_and_prune(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    flows.redeploy(k)

    config = k.config
    recorded = [command for _, command in runner.commands]
    assert LOGIN not in recorded and REMOTE_LOGIN not in recorded
    assert traefik.start_or_run(config) not in recorded
    assert not any(prune.stopped_containers(config) in c for c in recorded)
    assert not any(prune.tagged_images(config) in c for c in recorded)
    steps = [
        first(runner, hook("pre-build")),
        first(runner, ("local", builder.push(config))),
        first_matching(runner, PRIMARY, ENSURE_LOCKS),
        first(runner, ("1.1.1.3", PULL)),
        first(runner, hook("pre-deploy")),
        first_containing(runner, PRIMARY, app.running_container_names(config, config.role("web"))),
        first_containing(runner, *web_run(k)),
        first(runner, (PRIMARY, RELEASE)),
        first(runner, hook("post-deploy")),
    ]
    assert steps == sorted(steps)


def test_redeploy_with_skip_push(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    flows.redeploy(k, skip_push=True)
    assert runner.commands_on("local") == [".kamal/hooks/pre-deploy", ".kamal/hooks/post-deploy"]
    assert runner.commands_on(PRIMARY)[:3] == [
        "test -f .kamal/env/roles/app-web.env",
        runner.commands_on(PRIMARY)[1],
        PULL,
    ]
    assert runner.commands_on(PRIMARY)[1].startswith(ENSURE_LOCKS)


def rollback_responder(missing_on: set[str]) -> Responder:
    def responder(host: str, command: str) -> Any:
        if "--filter name=^app-" in command and "-998$ --quiet" in command:
            if command.endswith("--quiet"):
                return "" if host in missing_on else "c0ffee\n"
        return assume_success(host, command)

    return responder


def test_rollback_to_a_missing_version_names_the_host_and_releases(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path, rollback_responder({"1.1.1.3"}), version="998")
    with pytest.raises(flows.VersionUnavailable) as caught:
        flows.rollback(k)

    assert caught.value.hosts == ["1.1.1.3"]
    assert "'998' is not available as a container on 1.1.1.3" in str(caught.value)
    assert runner.commands[-1] == (PRIMARY, RELEASE)
    recorded = [command for _, command in runner.commands]
    assert not any(command.startswith("docker run") for command in recorded)
    assert hook("pre-deploy") not in runner.commands
    assert hook("post-deploy") not in runner.commands


def test_rollback_boots_the_old_version_inside_the_lock(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path, rollback_responder(set()), version="998")
    flows.rollback(k)

    config = k.config
    recorded = [command for _, command in runner.commands]
    assert LOGIN not in recorded and REMOTE_LOGIN not in recorded
    assert not any(c.startswith(("docker pull", "docker build")) for c in recorded)
    steps = [
        first_matching(runner, PRIMARY, ENSURE_LOCKS),
        first(runner, ("1.1.1.3", app.container_id_for_version(config, config.role("workers")))),
        first(runner, hook("pre-deploy")),
        first_containing(runner, *web_run(k)),
        first(runner, (PRIMARY, RELEASE)),
        first(runner, hook("post-deploy")),
    ]
    assert steps == sorted(steps)
    # the existing 998 container is moved aside before the new one is run
    rename = "docker rename app-web-998 app-web-998_replaced_abc123"
    assert any(rename in command for command in runner.commands_on(PRIMARY))


def test_setup_bootstraps_pushes_env_boots_accessories_then_deploys(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    flows.setup(k)

    steps = [
        first(runner, (PRIMARY, server.docker_installed())),
        first(runner, ("1.1.1.9", server.docker_installed())),
        first(runner, hook("docker-setup")),
        first_matching(runner, PRIMARY, ENSURE_LOCKS),  # env push, inside the lock
        first_matching(runner, PRIMARY, "mkdir -p .kamal/env/roles && rm -f "),
        first(runner, (PRIMARY, RELEASE)),
        first_matching(runner, "1.1.1.9", "docker run --name app-redis"),
        first(runner, ("local", LOGIN)),
        first(runner, ("local", builder.push(k.config))),
        last_matching(runner, PRIMARY, ENSURE_LOCKS),  # deploy
        first_containing(runner, *web_run(k)),
        last_matching(runner, PRIMARY, RELEASE),
    ]
    assert steps == sorted(steps)
    assert all("s3cr3t-db" not in command for _, command in runner.commands)


def stale_responder(host: str, command: str) -> Any:
    """Two running web containers besides the new one: ``old`` (current) and ``2`` (stale)."""
    if "echo kamal-renamed" in command and "label=role=web" in command:
        return "app-web-old\napp-web-2\n"
    return rollback_responder(set())(host, command)


@pytest.mark.parametrize(
    ("flow", "stops_stale"),
    [(flows.deploy, True), (flows.redeploy, True), (flows.rollback, False)],
)
def test_deploys_stop_stale_containers_before_booting_and_rollback_leaves_them(
    tmp_path: Path, flow: Any, stops_stale: bool
) -> None:
    k, runner = make_k(tmp_path, stale_responder, version="998")
    flow(k)
    config = k.config
    stale_stop = (PRIMARY, app.stop(config, config.role("web"), "2"))
    assert (stale_stop in runner.commands) is stops_stale
    if stops_stale:
        look = first_containing(runner, PRIMARY, "echo kamal-renamed")
        run = first_containing(runner, PRIMARY, "--name app-web-998 ")  # the app, not Traefik
        assert look < runner.commands.index(stale_stop) < run
