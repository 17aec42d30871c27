"""Flows around the app on the recording dry runner: server bootstrap, accessories, Traefik
reboot and ``remove``."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import accessory as accessory_commands
from kamal_tasks.commands import server as server_commands
from kamal_tasks.commands import traefik as traefik_commands
from kamal_tasks.configuration import Config, UnknownAccessory
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner, Responder, responses
from kamal_tasks.errors import KamalError
from kamal_tasks.flows import accessory, removal, server, traefik
from kamal_tasks.options import Options
from kamal_tasks.output import Output

RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": ["1.1.1.1", "1.1.1.2"],
    "registry": {"server": "registry.example.com", "username": "user", "password": "pw"},
    "accessories": {
        "mysql": {
            "image": "mysql:8.0",
            "host": "1.1.1.9",
            "port": 3306,
            "files": ["config/my.cnf:/etc/mysql/my.cnf"],
            "directories": ["data:/var/lib/mysql"],
        },
        "redis": {"image": "redis:7", "roles": ["web"]},
    },
}
LOGIN = 'docker login registry.example.com -u "user" --password-stdin'
REMOTE_LOGIN = (  # on the hosts: skipped where these very credentials are stored already
    '(IFS= read -r auth; f="${DOCKER_CONFIG:-$HOME/.docker}/config.json"; '
    "stored=$(tr -d ' \\t\\r\\n' < \"$f\" 2>/dev/null); "
    'case "$stored" in *\'"registry.example.com":{"auth":"\'"$auth"\'"}\'*) '
    f'echo "Already logged in"; cat >/dev/null ;; *) {LOGIN} ;; esac)'
)


def make_k(tmp_path: Path, responder: Responder | None = None) -> tuple[KamalContext, DryRunner]:
    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()), responder=responder,
                       echo=False)  # fmt: skip
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    k._config = Config(RAW, version="999", env_values={})
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner


def test_server_commands() -> None:
    config = Config(RAW, version="999")
    assert server_commands.docker_installed() == "docker -v"
    assert server_commands.make_run_directory(config) == "mkdir -p .kamal"
    assert server_commands.install_docker() == (
        "(apt-get update -y && apt-get install docker.io -y) || "
        "(curl -fsSL https://get.docker.com | sh)"
    )


def test_bootstrap_installs_docker_only_where_it_is_missing(tmp_path: Path) -> None:
    k, runner = make_k(
        tmp_path, responses({"^docker -v$": lambda h, c: 1 if h == "1.1.1.2" else 0})
    )
    server.bootstrap(k)
    install = server_commands.install_docker()
    assert install in runner.commands_on("1.1.1.2")
    assert install not in runner.commands_on("1.1.1.1")
    assert install not in runner.commands_on("1.1.1.9")  # accessory host, Docker present
    for host in ("1.1.1.1", "1.1.1.2", "1.1.1.9"):
        assert runner.commands_on(host)[-1] == "mkdir -p .kamal"


def test_bootstrap_without_root_names_the_hosts_and_installs_nothing(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path, responses({"^docker -v$": 1, "EUID": 1}))
    with pytest.raises(KamalError) as raised:
        server.bootstrap(k)
    assert str(raised.value) == (
        "Docker is not installed on 1.1.1.1, 1.1.1.2, 1.1.1.9 and can't be installed "
        "automatically without root access"
    )
    assert not any(command == server_commands.install_docker() for _, command in runner.commands)


def test_accessory_boot_uploads_files_makes_directories_then_runs(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "my.cnf").write_text("[mysqld]\n")
    k, runner = make_k(tmp_path)
    accessory.boot(k, "mysql")
    mysql = k.config.accessory("mysql")
    assert runner.commands_on("1.1.1.9") == [
        REMOTE_LOGIN,
        "mkdir -p app-mysql/etc/mysql",
        "upload app-mysql/etc/mysql/my.cnf <<< config/my.cnf",
        "chmod 755 app-mysql/etc/mysql/my.cnf",
        accessory_commands.make_directories(mysql),
        accessory_commands.run(k.config, mysql),
    ]


def test_accessory_all_and_roles_expand_to_hosts(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "my.cnf").write_text("")
    k, runner = make_k(tmp_path)
    accessory.boot(k, "all", login=False)
    redis = k.config.accessory("redis")
    for host in ("1.1.1.1", "1.1.1.2"):
        assert runner.commands_on(host) == [accessory_commands.run(k.config, redis)]


def test_unknown_accessory_lists_the_options(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    with pytest.raises(UnknownAccessory) as raised:
        accessory.boot(k, "postgres")
    assert str(raised.value) == "No accessory by the name of 'postgres' (options: mysql and redis)"
    assert runner.commands == []


def test_rolling_traefik_reboot_goes_host_by_host(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    traefik.reboot(k, rolling=True)
    per_host = [
        REMOTE_LOGIN,
        traefik_commands.stop(),
        traefik_commands.remove_container(),
        traefik_commands.run(k.config),
    ]
    assert runner.commands == [
        *(("1.1.1.1", command) for command in per_host),
        *(("1.1.1.2", command) for command in per_host),
    ]


def test_remove_everything_happens_inside_the_lock(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    removal.remove_everything(k)
    primary = runner.commands_on("1.1.1.1")
    assert primary[0].startswith("mkdir -p .kamal/locks && mkdir .kamal/locks/app && ")
    assert primary[-2:] == [
        "rm .kamal/locks/app/details && rm -r .kamal/locks/app",
        server_commands.remove_empty_run_directories(k.config),
    ]
    assert "docker logout registry.example.com" in runner.commands_on("1.1.1.2")
    assert accessory_commands.remove_container(k.config.accessory("mysql")) in runner.commands_on(
        "1.1.1.9"
    )
