"""Sessions on one host (``exec -i``, ``logs --follow``) and logs: the ssh command line, the
host picked, the remote commands, and how a session's exit status comes back."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli import kamal

from kamal_tasks.commands import interactive
from kamal_tasks.configuration import Config
from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner, responses
from kamal_tasks.errors import KamalError
from kamal_tasks.flows import sessions
from kamal_tasks.options import Options
from kamal_tasks.output import Output
from kamal_tasks.tasks import app as app_tasks

DEPLOY_YML = """\
service: app
image: dhh/app
servers:
  web:
    - 192.0.2.1
    - 192.0.2.2
  workers:
    - 192.0.2.3
registry:
  username: user
  password: pw
accessories:
  db:
    image: mysql:8
    hosts:
      - 192.0.2.2
      - 192.0.2.3
"""
TRAP = "trap 'exit 130' INT; "
CURRENT = (
    "docker ps --latest --quiet --filter label=service=app --filter label=role={role} "
    "--filter status=running --filter status=restarting"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    return tmp_path


def plan(project: Path, *argv: str) -> list[str]:
    done = kamal(project, *argv, "--dry-run", "--version", "v1")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


# --- the ssh command line ------------------------------------------------------------------------


def test_ssh_argv_plain() -> None:
    assert interactive.ssh_argv(Ssh(), "1.1.1.1", "docker exec -it app-web-1 sh") == [
        "ssh", "-t", "-p", "22", "-o", "StrictHostKeyChecking=accept-new",
        "-o", "ConnectTimeout=10", "root@1.1.1.1", "docker exec -it app-web-1 sh",
    ]  # fmt: skip


def test_ssh_argv_with_user_port_keys_and_jump_host() -> None:
    ssh = Ssh(user="app", port=2222, proxy="root@bastion:22", keys=("/k/a", "/k/b"), keys_only=True)
    assert interactive.ssh_argv(ssh, "10.0.0.1", "ls", tty=False) == [
        "ssh", "-p", "2222", "-i", "/k/a", "-i", "/k/b", "-o", "IdentitiesOnly=yes",
        "-J", "root@bastion:22", "-o", "StrictHostKeyChecking=accept-new",
        "-o", "ConnectTimeout=10", "app@10.0.0.1", "ls",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "strict"), [("accept_new", "accept-new"), ("always", "yes"), ("never", "no")]
)
def test_ssh_argv_follows_the_host_key_settings(policy: str, strict: str) -> None:
    ssh = Ssh(
        verify_host_key=policy,
        user_known_hosts_file=".kamal/known_hosts",
        global_known_hosts_file="/dev/null",
        connect_timeout=4,
    )
    assert interactive.ssh_argv(ssh, "10.0.0.1", "ls", tty=False)[3:] == [
        "-o", f"StrictHostKeyChecking={strict}",
        "-o", "UserKnownHostsFile=.kamal/known_hosts",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=4", "root@10.0.0.1", "ls",
    ]  # fmt: skip


def test_ssh_argv_with_proxy_command() -> None:
    ssh = Ssh(proxy_command="ssh -W %h:%p bastion")
    assert interactive.ssh_argv(ssh, "10.0.0.1", "ls")[4:6] == [
        "-o", "ProxyCommand=ssh -W %h:%p bastion",
    ]  # fmt: skip


def test_interruptible() -> None:
    assert interactive.interruptible("docker logs x --follow") == (
        "trap 'exit 130' INT; docker logs x --follow"
    )


# --- which host ----------------------------------------------------------------------------------


def test_interactive_runs_on_the_primary_host(project: Path) -> None:
    assert plan(project, "server.exec", "-i", "bash") == ["[192.0.2.1] bash"]
    assert plan(project, "server.exec", "-i", "bash", "--hosts", "192.0.2.3") == [
        "[192.0.2.3] bash"
    ]
    assert plan(project, "server.exec", "-i", "bash", "-r", "workers") == ["[192.0.2.3] bash"]


def test_several_hosts_picked_is_an_error(project: Path) -> None:
    done = kamal(project, "server.exec", "-i", "bash", "--hosts", "192.0.2.*", "--version", "v1")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "ERROR: server.exec --interactive runs on one host, but --hosts matched "
        "192.0.2.1, 192.0.2.2, 192.0.2.3: pick one with --hosts\n"
    )


def test_app_exec_interactive_new_container(project: Path) -> None:
    assert plan(project, "app.exec", "-i", "bin/rails console", "-e", "A=1") == [
        "[192.0.2.1] docker run -it --rm --env-file .kamal/env/roles/app-web.env "
        '--env A="1" dhh/app:v1 bin/rails console'
    ]


def test_app_exec_interactive_reuse(project: Path) -> None:
    # --version given: that version's container, nothing asked.
    assert plan(project, "app.exec", "-i", "--reuse", "sh", "--hosts", "192.0.2.3") == [
        "[192.0.2.3] docker exec -it app-workers-v1 sh",
    ]


def test_accessory_exec_interactive(project: Path) -> None:
    assert plan(project, "accessory.exec", "db", "-i", "mysql") == [
        "[192.0.2.2] docker exec -it app-db mysql"
    ]
    assert plan(project, "accessory.exec", "db", "-i", "mysql", "--hosts", "192.0.2.3") == [
        "[192.0.2.3] docker exec -it app-db mysql"
    ]
    done = kamal(project, "accessory.exec", "all", "-i", "sh", "--dry-run", "--version", "v1")
    assert done.stderr == (
        "ERROR: accessory.exec --interactive works on one accessory: name it instead of all\n"
    )


# --- --reuse: the version running on the host ---------------------------------------------------


def make_k(responder: Any, **options: Any) -> tuple[KamalContext, DryRunner]:
    output = Output(stream=io.StringIO(), errors=io.StringIO())
    runner = DryRunner(output, responder=responder, echo=False)
    k = KamalContext(None, Options(skip_hooks=True, **options), runner=runner)
    k._config = Config(yaml.safe_load(DEPLOY_YML), version="local_uncommitted_abc")
    return k, runner


def test_reuse_execs_into_the_version_running_on_each_host() -> None:
    running = {"192.0.2.1": "aaa\n", "192.0.2.2": "bbb\n", "192.0.2.3": "ccc\n"}
    k, runner = make_k(responses({"--format": lambda host, command: running[host]}))
    app_tasks.exec_.body.__wrapped__(k, "ls", reuse=True)
    execs = [(host, c) for host, c in runner.commands if c.startswith("docker exec")]
    assert execs == [
        ("192.0.2.1", "docker exec app-web-aaa ls"),
        ("192.0.2.2", "docker exec app-web-bbb ls"),
        ("192.0.2.3", "docker exec app-workers-ccc ls"),
    ]


def test_reuse_without_a_running_container_is_an_error() -> None:
    k, runner = make_k(None)
    runner.dry_run = False  # a real run that found nothing
    with pytest.raises(KamalError) as raised:
        app_tasks.exec_.body.__wrapped__(k, "ls", reuse=True)
    assert str(raised.value) == "No running container of role web on 192.0.2.1 to reuse"


def test_reuse_with_version_given_asks_nothing() -> None:
    k, runner = make_k(None, version="v7")
    k._config = k._config.select(None, None, False)  # noqa: SLF001
    assert sessions.running_version(k, k.config.role("web"), "192.0.2.1") == "local_uncommitted_abc"
    assert runner.commands == []


# --- logs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "tail"),
    [([], "--tail 100 "), (["-n", "5"], "--tail 5 "), (["-s", "10m"], '--since "10m" '),
     (["-g", "err"], ""), (["-g", "err", "-n", "7"], "--tail 7 ")],
)  # fmt: skip
def test_app_logs_lines_default(project: Path, options: list[str], tail: str) -> None:
    lines = [line for line in plan(project, "app.logs", *options) if line.startswith("[")]
    grep = ' | grep "err"' if "-g" in options else ""
    assert lines == [
        f"[{host}] {CURRENT.format(role=role)} | xargs docker logs --timestamps {tail}2>&1{grep}"
        for role, host in (("web", "192.0.2.1"), ("web", "192.0.2.2"), ("workers", "192.0.2.3"))
    ]


def test_app_logs_follow_streams_from_one_host(project: Path) -> None:
    assert plan(project, "app.logs", "-f", "-g", "GET", "-o", "-i") == [
        f"[192.0.2.1] {TRAP}{CURRENT.format(role='web')} | xargs docker logs --timestamps "
        '--follow 2>&1 | grep "GET" -i'
    ]
    assert plan(project, "app.logs", "--follow", "--hosts", "192.0.2.3") == [
        f"[192.0.2.3] {TRAP}{CURRENT.format(role='workers')} | xargs docker logs --timestamps "
        "--tail 10 --follow 2>&1"
    ]


def test_accessory_and_traefik_logs(project: Path) -> None:
    assert plan(project, "accessory.logs", "db", "-n", "3", "-s", "1h")[:2] == [
        '[192.0.2.2] docker logs app-db --since "1h" --tail 3 --timestamps 2>&1',
        '[192.0.2.3] docker logs app-db --since "1h" --tail 3 --timestamps 2>&1',
    ]
    assert plan(project, "accessory.logs", "db", "-f") == [
        f"[192.0.2.2] {TRAP}docker logs app-db --tail 10 --timestamps --follow 2>&1"
    ]
    assert [line for line in plan(project, "traefik.logs", "-g", "502") if line[0] == "["] == [
        '[192.0.2.1] docker logs traefik --timestamps 2>&1 | grep "502"',
        '[192.0.2.2] docker logs traefik --timestamps 2>&1 | grep "502"',
    ]
    assert plan(project, "traefik.logs", "-f", "--hosts", "192.0.2.2") == [
        f"[192.0.2.2] {TRAP}docker logs traefik --tail 10 --timestamps --follow 2>&1"
    ]


def test_default_lines() -> None:
    assert sessions.default_lines(None, None, None) == 100
    assert sessions.default_lines(None, None, None, follow=True) == 10
    assert sessions.default_lines(None, "1h", None) is None
    assert sessions.default_lines(None, None, "x", follow=True) is None
    assert sessions.default_lines("3", None, "x") == 3
    with pytest.raises(KamalError) as raised:
        sessions.default_lines("abc", None, None)
    assert str(raised.value) == "--lines: should be a whole number (got 'abc')"


# --- running attached ----------------------------------------------------------------------------


def test_run_attached_returns_the_exit_status() -> None:
    assert sessions.run_attached([sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert sessions.run_attached(["true"]) == 0


def test_run_attached_without_ssh_is_a_clean_error() -> None:
    with pytest.raises(KamalError) as raised:
        sessions.run_attached(["no-such-ssh-here", "host"])
    assert str(raised.value) == (
        "`no-such-ssh-here` not found: sessions need OpenSSH's ssh on the PATH"
    )


def test_run_attached_passes_sigterm_on_to_the_session() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    code = sessions.run_attached(["sleep", "30"])  # would run its 30 s if not passed on
    timer.join()
    assert code == 143  # the child ended by the forwarded SIGTERM (128 + 15)
    assert signal.getsignal(signal.SIGTERM) is previous


def test_run_attached_ctrl_c_ends_the_child_with_130() -> None:
    previous = signal.getsignal(signal.SIGINT)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    code = sessions.run_attached(["sleep", "30"])
    timer.join()
    assert code == 130
    assert signal.getsignal(signal.SIGINT) is previous
