"""Where the flows run their hooks: ``post-push`` between the push and the hosts' pull, and
``post-deploy`` after a rollback (``KAMAL_COMMAND=rollback``, with ``KAMAL_RUNTIME``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import builder
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner, Responder
from kamal_tasks.errors import HookFailed
from kamal_tasks.flows import build
from kamal_tasks.flows import deploy as flows
from kamal_tasks.flows.dry_run import assume_success
from kamal_tasks.options import Options
from kamal_tasks.output import Output
from kamal_tasks.runner import LOCAL, Result

HOSTS = ["1.1.1.1", "1.1.1.2"]
RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": HOSTS,
    "registry": {"server": "registry.example.com", "username": "user", "password": "pw"},
    "builder": {"multiarch": False},
}
HOOKS = ("pre-build", "post-push", "pre-deploy", "post-deploy")
PULL = "docker pull registry.example.com/dhh/app:999"


class EnvRecordingRunner(DryRunner):
    """A dry runner that also keeps the environment each local command was given."""

    def __init__(self, responder: Responder) -> None:
        super().__init__(Output(stream=io.StringIO(), errors=io.StringIO()), responder, echo=False)
        self.envs: dict[str, dict[str, str]] = {}

    def local(
        self,
        command: str,
        *,
        env: dict[str, str] | None = None,
        warn: bool = False,
        stdin: str | None = None,
        timeout: float | None = None,
    ) -> Result:
        self.envs[command] = dict(env or {})
        return super().local(command, env=env, warn=warn, stdin=stdin, timeout=timeout)


@pytest.fixture(autouse=True)
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work from the project root, as the CLI does (hooks are shown relative to it)."""
    monkeypatch.chdir(tmp_path)


def make_k(
    tmp_path: Path,
    responder: Responder = assume_success,
    *,
    version: str = "999",
    command: str = "deploy",
) -> tuple[KamalContext, EnvRecordingRunner]:
    hooks = tmp_path / ".kamal" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        (hooks / name).write_text("#!/bin/sh\n")
        (hooks / name).chmod(0o755)
    runner = EnvRecordingRunner(responder)
    k = KamalContext(None, Options(), command=command, runner=runner, root=tmp_path)
    k._config = Config(RAW, version=version)
    k.sleep = lambda seconds: None
    k.new_id = lambda: "abc123"
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner


def hook(name: str) -> tuple[str, str]:
    return (LOCAL, f".kamal/hooks/{name}")


def test_post_push_runs_after_the_push_and_before_any_host_pulls(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    flows.deploy(k)

    commands = runner.commands
    post_push = commands.index(hook("post-push"))
    assert commands.index((LOCAL, builder.push(k.config))) < post_push
    pulls = [i for i, (host, command) in enumerate(commands) if command.startswith(f"{PULL} && ")]
    assert len(pulls) == len(HOSTS) and min(pulls) > post_push
    assert commands.index(hook("post-push")) < commands.index(hook("pre-deploy"))
    env = runner.envs[".kamal/hooks/post-push"]
    assert env["KAMAL_COMMAND"] == "deploy"
    assert env["KAMAL_VERSION"] == "999"
    assert env["KAMAL_HOSTS"] == "1.1.1.1,1.1.1.2"
    assert "KAMAL_RUNTIME" not in env


def test_a_failing_post_push_stops_before_anything_changes_on_the_hosts(tmp_path: Path) -> None:
    def responder(host: str, command: str) -> Any:
        return 1 if command == ".kamal/hooks/post-push" else assume_success(host, command)

    k, runner = make_k(tmp_path, responder)
    with pytest.raises(HookFailed) as caught:
        flows.deploy(k)

    assert caught.value.name == "post-push"
    after = runner.commands[runner.commands.index(hook("post-push")) + 1 :]
    assert after == []
    on_hosts = [command for host, command in runner.commands if host != LOCAL]
    # only the env file checks and the registry login reached the hosts: no pull, lock or boot
    assert all(c.startswith(("test -f ", "(IFS= read -r auth; ")) for c in on_hosts), on_hosts
    assert sum("docker login " in c for c in on_hosts) == len(HOSTS)


@pytest.mark.parametrize("flow", [flows.deploy, flows.redeploy])
def test_skip_push_runs_no_build_hooks(tmp_path: Path, flow: Any) -> None:
    k, runner = make_k(tmp_path)
    flow(k, skip_push=True)
    assert hook("pre-build") not in runner.commands
    assert hook("post-push") not in runner.commands
    assert hook("post-deploy") in runner.commands


def test_build_push_alone_runs_pre_build_and_post_push_around_the_push(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path, command="build")
    build.push(k)
    assert runner.commands == [
        hook("pre-build"),
        (LOCAL, builder.push(k.config)),
        hook("post-push"),
    ]


def test_rollback_runs_post_deploy_with_command_rollback_and_runtime(tmp_path: Path) -> None:
    def responder(host: str, command: str) -> Any:
        if "--filter name=^app-web-998$ --quiet" in command and command.endswith("--quiet"):
            return "c0ffee\n"
        return assume_success(host, command)

    k, runner = make_k(tmp_path, responder, version="998", command="rollback")
    k.started -= 42
    flows.rollback(k)

    assert runner.commands[-1] == hook("post-deploy")
    env = runner.envs[".kamal/hooks/post-deploy"]
    assert env["KAMAL_COMMAND"] == "rollback"
    assert env["KAMAL_SUBCOMMAND"] == ""
    assert env["KAMAL_VERSION"] == "998"
    assert env["KAMAL_RUNTIME"] == "42"
    assert "KAMAL_RUNTIME" not in runner.envs[".kamal/hooks/pre-deploy"]
