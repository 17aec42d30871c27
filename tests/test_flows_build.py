"""Login, build and push, pull: one failing host never stops the others."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import builder
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner, Responder, responses
from kamal_tasks.errors import HostsFailed
from kamal_tasks.flows import build
from kamal_tasks.options import Options
from kamal_tasks.output import Output
from kamal_tasks.runner import Result

HOSTS = ["1.1.1.1", "1.1.1.2", "1.1.1.3"]
RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {"web": HOSTS[:2], "workers": HOSTS[2:]},
    "registry": {
        "server": "registry.example.com",
        "username": "user",
        "password": ["KAMAL_REGISTRY_PASSWORD"],
    },
}
PASSWORD = "hunter2-registry"
LOGIN = 'docker login registry.example.com -u "user" --password-stdin'
REMOTE_LOGIN = (  # on the hosts: skipped where these very credentials are stored already
    '(IFS= read -r auth; f="${DOCKER_CONFIG:-$HOME/.docker}/config.json"; '
    "stored=$(tr -d ' \\t\\r\\n' < \"$f\" 2>/dev/null); "
    'case "$stored" in *\'"registry.example.com":{"auth":"\'"$auth"\'"}\'*) '
    f'echo "Already logged in"; cat >/dev/null ;; *) {LOGIN} ;; esac)'
)
PULL_ONLY = "docker pull registry.example.com/dhh/app:999"
#: The pull and the image check, one command.
PULL = (
    f"{PULL_ONLY} && (docker inspect -f '{{{{ .Config.Labels.service }}}}' "
    'registry.example.com/dhh/app:999 | grep -x app || (echo "Image '
    "registry.example.com/dhh/app:999 is missing the 'service' label\" && exit 1))"
)
ENSURE_LOCKS = "mkdir -p .kamal/locks && mkdir .kamal/locks/app &&"
RELEASE = "rm .kamal/locks/app/details && rm -r .kamal/locks/app"


def is_lock(command: str) -> bool:
    return command == RELEASE or command.startswith(ENSURE_LOCKS)


def without_lock(commands: list[str]) -> list[str]:
    return [command for command in commands if not is_lock(command)]


def make_k(
    tmp_path: Path, responder: Responder | None = None, raw: dict[str, Any] | None = None
) -> tuple[KamalContext, DryRunner, io.StringIO]:
    errors = io.StringIO()
    runner = DryRunner(Output(stream=io.StringIO(), errors=errors), responder=responder,
                       echo=False, parallel=True)  # fmt: skip
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    values = {"KAMAL_REGISTRY_PASSWORD": PASSWORD}
    k._config = Config(raw or RAW, version="999", env_values=values)
    k.env_values = values
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner, errors


def test_pull_failure_on_one_host_lets_the_others_finish(tmp_path: Path) -> None:
    def responder(host: str, command: str) -> Any:
        if host == "1.1.1.2" and command == PULL:
            lines = "".join(f"layer {n}\n" for n in range(20))
            return Result(host, command, stdout=lines, stderr="manifest unknown\n", exited=18)
        return None

    k, runner, _ = make_k(tmp_path, responder)
    with pytest.raises(HostsFailed) as caught:
        build.pull(k)

    assert without_lock(runner.commands_on("1.1.1.1")) == [PULL]
    assert runner.commands_on("1.1.1.3") == [PULL]
    assert runner.commands_on("1.1.1.2") == [PULL]
    assert runner.commands[-1] == ("1.1.1.1", RELEASE)
    error = caught.value
    assert error.hosts == ["1.1.1.2"]
    message = str(error)
    assert message.startswith("Failed on 1 host(s): 1.1.1.2\n")
    assert f"1.1.1.2: `{PULL}` exited 18" in message
    # the tail of the output: the last ten lines, stderr included
    assert "manifest unknown" in message
    assert "layer 11" in message and "layer 10\n" not in message


def test_failures_on_several_hosts_are_all_listed_in_host_order(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path, responses({r"^docker pull": 1}))
    with pytest.raises(HostsFailed) as caught:
        build.pull(k)
    assert caught.value.hosts == HOSTS
    pulls = [(host, command) for host, command in runner.commands if not is_lock(command)]
    assert sorted(pulls) == sorted((host, PULL) for host in HOSTS)


def test_pull_runs_inside_the_deploy_lock(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path)
    build.pull(k)
    acquire = next(i for i, (h, c) in enumerate(runner.commands) if c.startswith(ENSURE_LOCKS))
    release = runner.commands.index(("1.1.1.1", RELEASE))
    for host in HOSTS:
        pull = runner.commands.index((host, PULL))
        assert builder.validate_image(k.config) in PULL
        assert acquire < pull < release
    assert runner.commands[acquire][0] == "1.1.1.1"


def test_missing_service_label_fails_that_host(tmp_path: Path) -> None:
    k, _, _ = make_k(tmp_path, lambda host, command: 1 if "grep -x app" in command and
                     host == "1.1.1.3" else None)  # fmt: skip
    with pytest.raises(HostsFailed) as caught:
        build.pull(k)
    assert caught.value.hosts == ["1.1.1.3"]
    assert "missing the 'service' label" in str(caught.value)


def test_login_locally_and_on_every_host_without_the_password(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path)
    build.login(k)
    expected = [("local", LOGIN), *((host, REMOTE_LOGIN) for host in HOSTS)]
    assert sorted(runner.commands) == sorted(expected)
    assert runner.commands[0] == ("local", LOGIN)
    assert all(PASSWORD not in command for _, command in runner.commands)


def test_hosts_get_the_stored_auth_then_the_password_on_stdin(tmp_path: Path) -> None:
    import base64

    from kamal_tasks.runner import Host

    class Recording(Host):
        name = "1.1.1.1"
        sent: list[tuple[str, str | None]] = []

        def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
            self.sent.append((command, stdin))
            return Result(self.name, command)

    k, _, _ = make_k(tmp_path)
    build.registry_login(k).run_on(Recording())
    auth = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    assert Recording.sent == [(REMOTE_LOGIN, f"{auth}\n{PASSWORD}")]


def test_remote_only_login(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path)
    build.login(k, local=False)
    assert runner.commands_on("local") == []
    assert len(runner.commands) == 3


def test_deliver_builds_with_buildx_then_pulls(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path)
    build.deliver(k)
    assert runner.commands_on("local") == [
        "docker buildx version",
        builder.create(k.config),
        builder.push(k.config),
    ]
    last_local = max(i for i, (host, _) in enumerate(runner.commands) if host == "local")
    first_pull = runner.commands.index(("1.1.1.1", PULL))
    assert first_pull > last_local


def test_without_buildx_builds_natively(tmp_path: Path) -> None:
    k, runner, errors = make_k(tmp_path, responses({r"^docker buildx version$": 1}))
    build.push(k)
    local = runner.commands_on("local")
    assert local[0] == "docker buildx version"
    assert local[1].startswith("docker build -t registry.example.com/dhh/app:999 ")
    assert len(local) == 2
    assert "docker buildx is not available" in errors.getvalue()


def test_native_builder_skips_buildx(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path, raw={**RAW, "builder": {"multiarch": False}})
    build.push(k)
    assert runner.commands_on("local") == [builder.push(k.config)]


def test_failed_build_raises_before_any_pull(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path, responses({r"buildx build": 1}))
    with pytest.raises(Exception, match="exited 1"):
        build.deliver(k)
    assert [host for host, _ in runner.commands] == ["local"] * 3


@pytest.mark.parametrize(
    ("patterns", "ignored"),
    [
        ([], False),
        ([".kamal"], True),
        ([".kamal/"], True),
        ([".kamal/.env*"], True),
        (["/.kamal/.env"], True),
        (["**/.env*"], True),
        (["*.env"], False),  # root level only, as Docker reads it
        (["# .kamal", "  "], False),
        ([".kamal", "!.kamal/.env"], False),
        ([".kamal", "!.kamal/.env", ".kamal/.env*"], True),
    ],
)
def test_dockerignore_patterns(patterns: list[str], ignored: bool) -> None:
    assert build.dockerignored(patterns, ".kamal/.env") is ignored


def test_env_files_in_the_build_context_are_named(tmp_path: Path) -> None:
    (tmp_path / ".kamal").mkdir()
    (tmp_path / ".kamal" / ".env").write_text("SECRET=1\n")
    (tmp_path / ".kamal" / ".env.staging").write_text("SECRET=2\n")
    (tmp_path / "app").mkdir()
    assert build.exposed_env_files(tmp_path, ".") == [".kamal/.env", ".kamal/.env.staging"]
    assert build.exposed_env_files(tmp_path, "app") == []  # outside the context
    assert build.exposed_env_files(tmp_path, "https://github.com/x/y.git") == []
    (tmp_path / ".dockerignore").write_text(".kamal/.env\n")
    assert build.exposed_env_files(tmp_path, ".") == [".kamal/.env.staging"]


def test_push_warns_about_env_files_in_the_build_context(tmp_path: Path) -> None:
    (tmp_path / ".kamal").mkdir()
    (tmp_path / ".kamal" / ".env").write_text("KAMAL_REGISTRY_PASSWORD=x\n")
    k, _, errors = make_k(tmp_path)
    build.push(k)
    assert "WARNING: .kamal/.env is in the build context and no .dockerignore excludes it" in (
        errors.getvalue()
    )
    (tmp_path / ".dockerignore").write_text(".kamal/.env*\n")
    k, _, errors = make_k(tmp_path)
    build.push(k)
    assert "build context" not in errors.getvalue()
