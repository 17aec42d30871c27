"""Pushing secret env files: one per role per host, Traefik's and the accessories', tags
applied per host, values never recorded, everything checked before any host is written."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands.env_files import MultilineSecret
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.errors import LockHeld, MissingSecret
from kamal_tasks.flows import env
from kamal_tasks.options import Options
from kamal_tasks.output import Output

RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {
        "web": ["1.1.1.1", {"1.1.1.2": "canary"}],
        "workers": ["1.1.1.3"],
    },
    "registry": {"username": "user", "password": "pw"},
    "env": {
        "clear": {"RAILS_ENV": "production"},
        "secret": ["DB_PASSWORD"],
        "tags": {"canary": {"clear": {"CANARY": "1"}, "secret": ["CANARY_TOKEN"]}},
    },
    "traefik": {"env": {"secret": ["TRAEFIK_TOKEN"]}},
    "accessories": {
        "mysql": {
            "image": "mysql:8",
            "host": "1.1.1.4",
            "env": {"secret": ["MYSQL_ROOT_PASSWORD"]},
        }
    },
}
SECRETS = {
    "DB_PASSWORD": "s3cr3t-db",
    "CANARY_TOKEN": "s3cr3t-canary",
    "TRAEFIK_TOKEN": "s3cr3t-traefik",
    "MYSQL_ROOT_PASSWORD": "s3cr3t-mysql",
}
WEB_FILE = ".kamal/env/roles/app-web.env"
WORKERS_FILE = ".kamal/env/roles/app-workers.env"
TRAEFIK_FILE = ".kamal/env/traefik/traefik.env"
MYSQL_FILE = ".kamal/env/accessories/app-mysql.env"


def make_k(
    tmp_path: Path, secrets: dict[str, str] | None = None, **select: Any
) -> tuple[KamalContext, DryRunner]:
    values = dict(SECRETS if secrets is None else secrets)
    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()), echo=False)
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    k._config = Config(RAW, version="999", env_values=values).select(**select)
    k.env_values = values
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner


ENSURE_LOCKS = "mkdir -p .kamal/locks"
RELEASE = "rm .kamal/locks/app/details && rm -r .kamal/locks/app"


def writes(path: str, directory: str, shown: str) -> list[str]:
    """The one command writing ``path``: its content comes on stdin (``shown`` is unused)."""
    return [
        f"mkdir -p {directory} && rm -f {path}.tmp && (umask 0277 && cat > {path}.tmp)"
        f" && mv -f {path}.tmp {path}"
    ]


def locked(commands: list[str], message: str) -> list[str]:
    """``commands`` on the primary host inside the deploy lock taken for ``message``."""
    details = f"Locked by: alice at 2024-01-01T00:00:00Z\nVersion: 999\nMessage: {message}"
    encoded = base64.b64encode(details.encode()).decode()
    acquire = (
        f'mkdir .kamal/locks/app && (echo "{encoded}" > .kamal/locks/app/details'
        " || (rm -rf .kamal/locks/app ; false))"
    )
    return [f"{ENSURE_LOCKS} && {acquire}", *commands, RELEASE]


def test_push_writes_each_hosts_files(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    env.push(k)

    roles_dir, traefik_dir = ".kamal/env/roles", ".kamal/env/traefik"
    assert runner.commands_on("1.1.1.1") == locked(
        [
            *writes(WEB_FILE, roles_dir, "DB_PASSWORD=[REDACTED]"),
            *writes(TRAEFIK_FILE, traefik_dir, "TRAEFIK_TOKEN=[REDACTED]"),
        ],
        "Pushing env files",
    )
    # the lock is taken before the first write anywhere and released after the last
    assert runner.commands[0][1].startswith("mkdir -p .kamal/locks && mkdir .kamal/locks/app")
    assert runner.commands[-1] == ("1.1.1.1", RELEASE)
    # the tagged host gets its tag's secret on top of the role's
    assert runner.commands_on("1.1.1.2") == [
        *writes(WEB_FILE, roles_dir, "DB_PASSWORD=[REDACTED] CANARY_TOKEN=[REDACTED]"),
        *writes(TRAEFIK_FILE, traefik_dir, "TRAEFIK_TOKEN=[REDACTED]"),
    ]
    # workers are not routed by traefik: no traefik env there
    assert runner.commands_on("1.1.1.3") == writes(
        WORKERS_FILE, roles_dir, "DB_PASSWORD=[REDACTED]"
    )
    assert runner.commands_on("1.1.1.4") == writes(
        MYSQL_FILE, ".kamal/env/accessories", "MYSQL_ROOT_PASSWORD=[REDACTED]"
    )
    assert {host for host, _ in runner.commands} == {"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"}


def test_no_secret_value_is_ever_recorded(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    env.push(k)
    recorded = "\n".join(command for _, command in runner.commands)
    for value in SECRETS.values():
        assert value not in recorded


def test_each_files_content_travels_on_stdin_only(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    env.push(k)
    planned = {(h, f.path): f.content for h, files in env.planned_files(k).items() for f in files}
    sent = {(host, command.rsplit(" ", 1)[-1]): stdin for host, command, stdin in runner.inputs}
    assert sent == planned
    assert all(stdin for stdin in sent.values())


def test_the_local_env_file_is_never_copied(tmp_path: Path) -> None:
    local_env = tmp_path / ".kamal" / ".env"
    local_env.parent.mkdir()
    local_env.write_text("UNUSED_LOCAL_ONLY=do-not-ship-7c1f\n" + "".join(
        f"{key}={value}\n" for key, value in SECRETS.items()
    ))  # fmt: skip
    k, runner = make_k(tmp_path, {**SECRETS, "UNUSED_LOCAL_ONLY": "do-not-ship-7c1f"})
    env.push(k)
    everything = [command for _, command in runner.commands]
    everything += [stdin for _, _, stdin in runner.inputs]
    assert not any(".kamal/.env" in text or "do-not-ship-7c1f" in text for text in everything)
    assert local_env.read_text() not in [stdin for _, _, stdin in runner.inputs]
    # only the configured secrets went out, whatever else the local file holds
    assert {line.split("=")[0] for _, _, s in runner.inputs for line in s.splitlines()} == set(
        SECRETS
    )


def test_push_under_a_held_lock_writes_nothing(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    runner.responder = lambda host, command: (
        1 if command.startswith("mkdir -p .kamal/locks && mkdir .kamal/locks/") else None
    )
    with pytest.raises(LockHeld):
        env.push(k)
    assert not runner.inputs
    assert not any(".kamal/env/" in command for _, command in runner.commands)


def test_delete_under_a_held_lock_removes_nothing(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    runner.responder = lambda host, command: (
        1 if command.startswith("mkdir -p .kamal/locks && mkdir .kamal/locks/") else None
    )
    with pytest.raises(LockHeld):
        env.delete(k)
    assert not any(command.startswith("rm -f") for _, command in runner.commands)


def test_planned_content_per_host(tmp_path: Path) -> None:
    k, _ = make_k(tmp_path)
    files = env.planned_files(k)
    content = {host: {f.path: f.content for f in host_files} for host, host_files in files.items()}
    assert content == {
        "1.1.1.1": {
            WEB_FILE: "DB_PASSWORD=s3cr3t-db\n",
            TRAEFIK_FILE: "TRAEFIK_TOKEN=s3cr3t-traefik\n",
        },
        "1.1.1.2": {
            WEB_FILE: "DB_PASSWORD=s3cr3t-db\nCANARY_TOKEN=s3cr3t-canary\n",
            TRAEFIK_FILE: "TRAEFIK_TOKEN=s3cr3t-traefik\n",
        },
        "1.1.1.3": {WORKERS_FILE: "DB_PASSWORD=s3cr3t-db\n"},
        "1.1.1.4": {MYSQL_FILE: "MYSQL_ROOT_PASSWORD=s3cr3t-mysql\n"},
    }  # fmt: skip


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_missing_secret_is_raised_before_anything_is_written(tmp_path: Path, missing: str) -> None:
    secrets = {key: value for key, value in SECRETS.items() if key != missing}
    k, runner = make_k(tmp_path, secrets)
    with pytest.raises(MissingSecret) as caught:
        env.push(k)
    assert caught.value.name == missing
    assert runner.commands == []


@pytest.mark.parametrize("value", ["line one\nline two", "trailing\r"])
def test_multiline_secret_is_raised_before_anything_is_written(tmp_path: Path, value: str) -> None:
    # the accessory's secret is the last planned: the hosts before it must stay untouched
    k, runner = make_k(tmp_path, {**SECRETS, "MYSQL_ROOT_PASSWORD": value})
    with pytest.raises(MultilineSecret) as caught:
        env.push(k)
    assert caught.value.key == "MYSQL_ROOT_PASSWORD"
    assert runner.commands == []


def test_role_selection_skips_accessories(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path, roles="workers")
    env.push(k)
    # the lock lives on the primary host, whatever the selection
    assert {host for host, _ in runner.commands} == {"1.1.1.3", "1.1.1.1"}
    assert runner.commands_on("1.1.1.3") == writes(
        WORKERS_FILE, ".kamal/env/roles", "DB_PASSWORD=[REDACTED]"
    )


def test_delete_removes_each_hosts_files(tmp_path: Path) -> None:
    k, runner = make_k(tmp_path)
    env.delete(k)
    removals = [
        ("1.1.1.1", f"rm -f {WEB_FILE}"),
        ("1.1.1.1", f"rm -f {TRAEFIK_FILE}"),
        ("1.1.1.2", f"rm -f {WEB_FILE}"),
        ("1.1.1.2", f"rm -f {TRAEFIK_FILE}"),
        ("1.1.1.3", f"rm -f {WORKERS_FILE}"),
        ("1.1.1.4", f"rm -f {MYSQL_FILE}"),
    ]
    lock = locked(["(removals)"], "Deleting env files")
    assert runner.commands == [
        ("1.1.1.1", lock[0]),
        *removals,
        ("1.1.1.1", lock[-1]),
    ]
