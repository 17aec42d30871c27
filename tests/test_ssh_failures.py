"""Connect failures and time limits, against real sockets and a real SSH server on 127.0.0.1:
each ends in one line naming the host (and, through the CLI, exit 1 and no traceback)."""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import Any

import invoke
import paramiko
import pytest
import yaml
from cli import kamal
from ssh_server import closing_port, free_port, silent_port, ssh_server

from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.configuration.sshkit import Sshkit
from kamal_tasks.connection_pool import connect_failure
from kamal_tasks.errors import CommandTimedOut, ConnectFailed
from kamal_tasks.known_hosts import HostKeyChanged
from kamal_tasks.output import QUIET, Output
from kamal_tasks.ssh import SshRunner


@pytest.fixture
def client_key(tmp_path: Path) -> Path:
    path = tmp_path / "id_client"
    paramiko.ECDSAKey.generate().write_private_key_file(str(path))
    return path


def ssh_settings(tmp_path: Path, client_key: Path, port: int, **more: Any) -> dict[str, Any]:
    return {
        "port": port,
        "keys": [str(client_key)],
        "keys_only": True,
        "user_known_hosts_file": str(tmp_path / "known_hosts"),
        "global_known_hosts_file": str(tmp_path / "no_system_file"),
        **more,
    }


def runner(ssh: dict[str, Any], **sshkit: Any) -> SshRunner:
    settings = {**ssh, "keys": tuple(ssh["keys"])}
    return SshRunner(Ssh(**settings), Sshkit(**sshkit), invoke.Context(), Output(QUIET))


def failure(ssh: dict[str, Any], host: str = "127.0.0.1", **sshkit: Any) -> tuple[str, float]:
    """The error running ``true`` on ``host`` raised, and how long it took to come."""
    started = time.monotonic()
    with runner(ssh, **sshkit) as ssh_runner, pytest.raises(Exception) as raised:
        ssh_runner.host(host).run("true")
    return str(raised.value), time.monotonic() - started


# --- the target host ----------------------------------------------------------------------------


def test_a_host_that_closes_the_connection(tmp_path: Path, client_key: Path) -> None:
    with closing_port() as port:
        message, _ = failure(ssh_settings(tmp_path, client_key, port))
    assert message == (
        f"cannot connect to 127.0.0.1:{port}: the host closed the connection during the SSH"
        " handshake (is sshd running there?)"
    )


def test_a_refused_connection(tmp_path: Path, client_key: Path) -> None:
    port = free_port()
    message, _ = failure(ssh_settings(tmp_path, client_key, port))
    assert message == f"cannot connect to 127.0.0.1:{port}: connection refused"


def test_a_host_that_never_answers_times_out_after_connect_timeout(
    tmp_path: Path, client_key: Path
) -> None:
    with silent_port() as port:
        settings = ssh_settings(tmp_path, client_key, port, connect_timeout=0.5)
        message, seconds = failure(settings)
    assert message == (
        f"cannot connect to 127.0.0.1:{port}: timed out after 0.5 s (ssh/connect_timeout)"
    )
    assert 0.4 < seconds < 3


def test_an_unknown_host_name(tmp_path: Path, client_key: Path) -> None:
    message, _ = failure(ssh_settings(tmp_path, client_key, 22), host="no-such-host.invalid")
    assert message.startswith(
        "cannot connect to no-such-host.invalid: cannot resolve the host name"
    )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError("timed out"), "timed out after 10 s (ssh/connect_timeout)"),
        (
            paramiko.ssh_exception.NoValidConnectionsError(
                {("10.0.0.1", 22): OSError(errno.EHOSTUNREACH, "No route to host")}
            ),
            "no route to host",
        ),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "Network is unreachable"),
        (
            paramiko.AuthenticationException("Authentication failed."),
            "authentication failed (Authentication failed.); check ssh/keys, ssh/key_data or"
            " the SSH agent",
        ),
        (
            paramiko.SSHException("No existing session"),
            "the SSH handshake did not finish within 10 s (ssh/connect_timeout)",
        ),
        (
            paramiko.SSHException("Incompatible ssh peer"),
            "SSH handshake failed (Incompatible ssh peer)",
        ),
        (
            EOFError(),
            "the host closed the connection during the SSH handshake (is sshd running there?)",
        ),
    ],
)
def test_connect_failures_in_a_few_words(error: BaseException, reason: str) -> None:
    assert connect_failure(error, 10) == reason


def test_a_command_that_runs_too_long_is_stopped(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        settings = ssh_settings(tmp_path, client_key, server.port)
        started = time.monotonic()
        with runner(settings, command_timeout=0.5) as ssh_runner:
            host = ssh_runner.host("127.0.0.1")
            with pytest.raises(CommandTimedOut) as raised:
                host.run("sleep 1000")
            assert host.run("echo next").ok  # the connection is still usable
    assert time.monotonic() - started < 5
    assert str(raised.value) == (
        "`sleep 1000` on 127.0.0.1 did not finish within 0.5 s (sshkit/command_timeout)"
    )


# --- the jump host ------------------------------------------------------------------------------


def test_a_jump_host_that_refuses(tmp_path: Path, client_key: Path) -> None:
    jump = free_port()
    settings = ssh_settings(tmp_path, client_key, 22, proxy=f"root@127.0.0.1:{jump}")
    message, _ = failure(settings, host="10.9.9.9")
    assert message == f"cannot connect to jump host root@127.0.0.1:{jump}: connection refused"


def test_a_silent_jump_host_times_out(tmp_path: Path, client_key: Path) -> None:
    with silent_port() as jump:
        settings = ssh_settings(
            tmp_path, client_key, 22, proxy=f"root@127.0.0.1:{jump}", connect_timeout=0.5
        )
        message, seconds = failure(settings, host="10.9.9.9")
    assert message == (
        f"cannot connect to jump host root@127.0.0.1:{jump}: timed out after 0.5 s"
        " (ssh/connect_timeout)"
    )
    assert seconds < 3


def test_a_jump_host_is_recorded_and_its_failure_to_reach_the_target_named(
    tmp_path: Path, client_key: Path
) -> None:
    with ssh_server() as jump:  # it refuses to forward (no direct-tcpip)
        settings = ssh_settings(tmp_path, client_key, 22, proxy=f"root@127.0.0.1:{jump.port}")
        message, _ = failure(settings, host="10.9.9.9")
        assert message == (
            f"cannot connect to 10.9.9.9 through jump host root@127.0.0.1:{jump.port}: the jump"
            " host could not open a connection to it (Administratively prohibited)"
        )
        assert (tmp_path / "known_hosts").read_text().startswith(f"[127.0.0.1]:{jump.port} ")


def test_a_jump_host_with_a_changed_key_is_refused_before_auth(
    tmp_path: Path, client_key: Path
) -> None:
    other = paramiko.ECDSAKey.generate()
    with ssh_server() as jump:
        (tmp_path / "known_hosts").write_text(
            f"[127.0.0.1]:{jump.port} {other.get_name()} {other.get_base64()}\n"
        )
        settings = ssh_settings(tmp_path, client_key, 22, proxy=f"root@127.0.0.1:{jump.port}")
        message, _ = failure(settings, host="10.9.9.9")
        assert message.startswith(
            f"cannot connect to jump host root@127.0.0.1:{jump.port}: SSH host key of 127.0.0.1"
            " has changed"
        )
        assert jump.recorded.auth_attempts == []


def test_a_proxy_command_that_fails(tmp_path: Path, client_key: Path) -> None:
    settings = ssh_settings(tmp_path, client_key, 22, proxy_command="false")
    message, _ = failure(settings, host="10.9.9.9")
    assert message.startswith("cannot connect to 10.9.9.9: ssh/proxy_command failed: ")


def test_a_proxy_command_that_cannot_run(tmp_path: Path, client_key: Path) -> None:
    settings = ssh_settings(tmp_path, client_key, 22, proxy_command="no-such-program-x %h")
    message, _ = failure(settings, host="10.9.9.9")
    assert message == ("cannot connect to 10.9.9.9: No such file or directory: no-such-program-x")


def test_a_silent_proxy_command_times_out_and_is_ended(tmp_path: Path, client_key: Path) -> None:
    marker = f"sleep 7{time.time_ns() % 1000}"  # a command line to look for
    settings = ssh_settings(tmp_path, client_key, 22, proxy_command=marker, connect_timeout=0.5)
    message, seconds = failure(settings, host="10.9.9.9")
    assert message.startswith("cannot connect to 10.9.9.9: ")
    assert "0.5 s (ssh/connect_timeout)" in message
    assert seconds < 3
    time.sleep(0.2)
    running = [p for p in Path("/proc").glob("[0-9]*/cmdline") if _cmdline(p) == marker]
    assert running == []


def _cmdline(path: Path) -> str:
    try:
        return path.read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def test_errors_are_kamal_errors() -> None:
    assert issubclass(ConnectFailed, Exception) and issubclass(HostKeyChanged, Exception)
    assert "through jump host j" in str(ConnectFailed("h", "no", "j"))


# --- through the CLI ----------------------------------------------------------------------------


def write_project(root: Path, ssh: dict[str, Any], sshkit: dict[str, Any] | None = None) -> Path:
    config = {
        "service": "app",
        "image": "app",
        "servers": ["127.0.0.1"],
        "registry": {"username": "u", "password": "p"},
        "ssh": ssh,
        **({"sshkit": sshkit} if sshkit else {}),
    }
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "deploy.yml").write_text(yaml.safe_dump(config))
    return root


def assert_one_line_error(done: Any, line: str) -> None:
    assert done.returncode == 1, done.stderr
    error = done.stderr[done.stderr.index("ERROR: ") :]
    assert error == f"ERROR: Failed on 1 host(s): 127.0.0.1\n  127.0.0.1: {line}\n"
    assert "Traceback" not in done.stdout + done.stderr
    assert "Exception" not in done.stderr


def test_cli_a_host_that_closes_the_connection(tmp_path: Path, client_key: Path) -> None:
    with closing_port() as port:
        write_project(tmp_path, ssh_settings(tmp_path, client_key, port))
        done = kamal(tmp_path, "server.exec", "true", "--version", "v1")
    assert_one_line_error(
        done,
        f"cannot connect to 127.0.0.1:{port}: the host closed the connection during the SSH"
        " handshake (is sshd running there?)",
    )


def test_cli_a_refused_connection(tmp_path: Path, client_key: Path) -> None:
    port = free_port()
    write_project(tmp_path, ssh_settings(tmp_path, client_key, port))
    done = kamal(tmp_path, "server.exec", "true", "--version", "v1")
    assert_one_line_error(done, f"cannot connect to 127.0.0.1:{port}: connection refused")


def test_cli_a_changed_host_key(tmp_path: Path, client_key: Path) -> None:
    other = paramiko.ECDSAKey.generate()
    with ssh_server() as server:
        (tmp_path / "known_hosts").write_text(
            f"[127.0.0.1]:{server.port} {other.get_name()} {other.get_base64()}\n"
        )
        write_project(tmp_path, ssh_settings(tmp_path, client_key, server.port))
        done = kamal(tmp_path, "server.exec", "touch /tmp/x", "--version", "v1")
        assert server.recorded.commands == [] and server.recorded.auth_attempts == []
    assert done.returncode == 1
    assert done.stderr.startswith(
        "ERROR: Failed on 1 host(s): 127.0.0.1\n  127.0.0.1: SSH host key of 127.0.0.1 has changed"
    )
    assert f"`ssh-keygen -R '[127.0.0.1]:{server.port}' -f {tmp_path}/known_hosts`" in done.stderr
    assert len(done.stderr.splitlines()) == 2


def test_cli_records_a_new_host_and_runs(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        write_project(tmp_path, ssh_settings(tmp_path, client_key, server.port))
        done = kamal(tmp_path, "server.exec", "echo hi", "--version", "v1")
        assert done.returncode == 0, done.stderr
        assert server.recorded.commands == ["echo hi"]
    assert f"[127.0.0.1] added its host key to {tmp_path}/known_hosts" in done.stderr
    assert (tmp_path / "known_hosts").read_text() == (
        f"[127.0.0.1]:{server.port} {server.host_key.get_name()} {server.host_key.get_base64()}\n"
    )


def test_cli_a_command_that_runs_too_long(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        write_project(
            tmp_path, ssh_settings(tmp_path, client_key, server.port), {"command_timeout": 1}
        )
        started = time.monotonic()
        done = kamal(tmp_path, "server.exec", "sleep 600", "--version", "v1")
    assert time.monotonic() - started < 15
    assert_one_line_error(
        done,
        "`sleep 600` on 127.0.0.1 did not finish within 1 s (sshkit/command_timeout)",
    )


def test_cli_never_warns(tmp_path: Path, client_key: Path) -> None:
    with ssh_server() as server:
        settings = ssh_settings(tmp_path, client_key, server.port, verify_host_key="never")
        write_project(tmp_path, settings)
        done = kamal(tmp_path, "server.exec", "true", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert "WARNING: ssh/verify_host_key is never: SSH host keys are not checked" in done.stderr
    assert not (tmp_path / "known_hosts").exists()


# --- speed --------------------------------------------------------------------------------------


def test_the_connection_sends_without_nagle_delay(tmp_path: Path, client_key: Path) -> None:
    """Without TCP_NODELAY every new channel waited ~40 ms for a delayed ACK."""
    import socket

    with ssh_server() as server:
        settings = ssh_settings(tmp_path, client_key, server.port)
        with runner(settings) as ssh_runner:
            assert ssh_runner.host("127.0.0.1").run("echo hi").stdout == "ran: echo hi\n"
            sock = ssh_runner.pool.connections["127.0.0.1"].transport.sock
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


class FakeRemote:
    """What ``wait_for_exit`` looks at on Fabric's ``Remote`` runner."""

    def __init__(self) -> None:
        self.channel = paramiko.Channel(0)  # unconnected: only its status_event is used
        self.dead = False

    @property
    def process_is_finished(self) -> bool:
        return bool(self.channel.status_event.is_set())

    @property
    def has_dead_threads(self) -> bool:
        return self.dead


def waiting(remote: FakeRemote) -> Any:
    import threading

    from kamal_tasks.fabric_connection import wait_for_exit

    waiter = threading.Thread(target=wait_for_exit, args=(remote,))
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()  # nothing has exited yet: still waiting
    return waiter


def test_a_command_is_noticed_as_soon_as_it_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    """``wait_for_exit`` wakes on the channel's exit event (not a sleep loop): with the
    thread check 30 s apart, only the event can end the wait within the second."""
    from kamal_tasks import fabric_connection

    monkeypatch.setattr(fabric_connection, "THREAD_CHECK_SECONDS", 30)
    remote = FakeRemote()
    waiter = waiting(remote)
    remote.channel.status_event.set()  # paramiko: exit status received, or channel closed
    waiter.join(1)
    assert not waiter.is_alive()


def test_a_dead_reader_thread_ends_the_wait() -> None:
    remote = FakeRemote()
    waiter = waiting(remote)
    remote.dead = True  # a reader thread crashed: Invoke reports it after the wait
    waiter.join(1)
    assert not waiter.is_alive()


def test_stdin_text_is_sent_whole_not_a_character_at_a_time() -> None:
    """Invoke asks a non-terminal stream for one character per read, 10 ms apart."""
    import io

    from invoke.runners import Local

    from kamal_tasks.fabric_connection import connection_class
    from kamal_tasks.runner import WholeText

    text = "c2FuZGJveDpwdw==\nregistry-password"
    remote = connection_class()("127.0.0.1")._remote_runner()
    local = Local(invoke.Context())
    assert remote.read_our_stdin(io.StringIO(text)) == "c"  # what Invoke does with a plain one
    for runner_ in (remote, local):
        stream = WholeText(text)
        assert runner_.read_our_stdin(stream) == text
        assert runner_.read_our_stdin(stream) == ""  # then EOF: Invoke closes the stdin


def test_stdin_reaches_a_local_command_whole(tmp_path: Path) -> None:
    from kamal_tasks.runner import Runner

    result = Runner(Output(QUIET), invoke.Context()).local("cat", stdin="line one\nline two")
    assert result.stdout == "line one\nline two"
