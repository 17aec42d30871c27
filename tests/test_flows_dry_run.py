"""The real CLI's ``--dry-run`` on the repository's demo configuration: every command printed
as ``[HOST] COMMAND`` in order, no secret values, and nothing executed or connected to."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kamal_tasks.flows.dry_run import assume_success

REPO_ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("172.31.231.11", "172.31.231.12", "172.31.231.13")
SECRETS = {"SANDBOX_REGISTRY_PASSWORD": "zz-registry-pw-zz", "DEMO_SECRET": "zz-demo-secret-zz"}
LINE = re.compile(r"^\[(local|172\.31\.231\.1[123])\] \S.*$")

# Refuse every network connection and put tripwires named docker/ssh first on PATH.
NO_NETWORK = """\
import socket, sys
def refuse(*args, **kwargs):
    raise SystemExit("a connection was attempted")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
sys.argv = ["kamal-tasks", *sys.argv[1:]]
from kamal_tasks.__main__ import main
main()
"""


def kamal_dry_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shims = tmp_path / "bin"
    shims.mkdir(exist_ok=True)
    for tool in ("docker", "ssh", "scp"):
        shim = shims / tool
        shim.write_text(f'#!/bin/sh\necho ran >> "{tmp_path}/{tool}-ran"\nexit 1\n')
        shim.chmod(0o755)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KAMAL_", "INVOKE_")) and key != "VERSION"
    }
    env.update(SECRETS)
    env["PATH"] = f"{shims}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-c", NO_NETWORK, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str, Path]:
    tmp_path = tmp_path_factory.mktemp("dry-run")
    done = kamal_dry_run(tmp_path, "deploy", "--dry-run", "--version", "1", "--skip-hooks")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines(), done.stderr, tmp_path


def index(lines: list[str], pattern: str, *, last: bool = False) -> int:
    found = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert found, f"no line matches {pattern!r}"
    return found[-1] if last else found[0]


def test_every_stdout_line_is_a_host_prefixed_command(plan: tuple[list[str], str, Path]) -> None:
    lines, stderr, _ = plan
    assert lines
    assert [line for line in lines if not LINE.match(line)] == []
    # progress goes to stderr, never into the plan
    assert "Deployed demo 1" in stderr
    assert not any(line.startswith("Deployed") for line in lines)


def test_plan_is_in_deploy_order(plan: tuple[list[str], str, Path]) -> None:
    lines, _, _ = plan
    order = [
        index(lines, r"^\[local\] docker login "),
        index(lines, r"^\[local\] docker build "),
        index(
            lines, r"^\[172\.31\.231\.11\] mkdir -p \.kamal/locks && mkdir \.kamal/locks/demo && "
        ),
        index(
            lines, r"^\[172\.31\.231\.11\] docker pull localhost:5555/demo:1 && \(docker inspect "
        ),
        index(
            lines, r"^\[172\.31\.231\.13\] docker pull localhost:5555/demo:1 && \(docker inspect "
        ),
        index(lines, r"^\[172\.31\.231\.11\] docker container start traefik \|\| "),
        index(lines, r"^\[172\.31\.231\.11\] .* && docker run --detach .* --name demo-web-1 "),
        index(lines, r"^\[172\.31\.231\.13\] .* && docker run --detach .* --name demo-workers-1 "),
        index(lines, r"^\[172\.31\.231\.13\] .* && docker tag localhost:5555/demo:1 "),
        index(lines, r"^\[172\.31\.231\.11\] docker ps -q -a --filter label=service=demo "),
        index(lines, r"^\[172\.31\.231\.11\] rm \.kamal/locks/demo/details && rm -r "),
    ]
    assert order == sorted(order)
    # the lock is released last, after the last docker run
    assert order[-1] == len(lines) - 1
    assert index(lines, r"\] .*docker run --detach", last=True) < order[-1]
    for host in HOSTS:
        assert any(
            line.startswith(f"[{host}] docker pull localhost:5555/demo:1 && ") for line in lines
        )
        assert any(
            line.startswith(f"[{host}] ") and " && docker run --detach " in line for line in lines
        )


def test_plan_holds_no_secret_value(plan: tuple[list[str], str, Path]) -> None:
    lines, stderr, _ = plan
    for value in SECRETS.values():
        assert value not in "\n".join(lines)
        assert value not in stderr


def test_nothing_was_executed_or_connected(plan: tuple[list[str], str, Path]) -> None:
    _, stderr, tmp_path = plan
    assert "a connection was attempted" not in stderr
    for tool in ("docker", "ssh", "scp"):
        assert not (tmp_path / f"{tool}-ran").exists(), f"{tool} was run"


def test_hooks_are_printed_not_run(tmp_path: Path) -> None:
    done = kamal_dry_run(tmp_path, "deploy", "--dry-run", "--version", "1")
    assert done.returncode == 0, done.stderr
    hooks = [line for line in done.stdout.splitlines() if re.match(r"^\[local\] \S*hooks/", line)]
    names = [line.rsplit("/", 1)[1] for line in hooks]
    assert names == ["pre-init", "pre-connect", "pre-build", "pre-deploy", "post-deploy"]


def test_dry_run_assumes_a_healthy_deploy() -> None:
    state = "docker inspect --format '{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}'"  # noqa: E501
    assert assume_success("h", f"docker container ls --quiet | xargs {state}") == "running healthy"
    assert assume_success("h", "docker ps") is None


def test_deploy_ends_with_a_per_host_timing_line(plan: tuple[list[str], str, Path]) -> None:
    _, stderr, _ = plan
    last = stderr.splitlines()[-1]
    assert re.fullmatch(
        r"Boot time per host: " + ", ".join(rf"\[{re.escape(h)}\] \d+\.\ds" for h in HOSTS), last
    ), last
    assert stderr.splitlines()[-2].startswith("Deployed demo 1 in ")
