"""The SSH connection pool, with fake connections: reuse, keepalive, capped concurrent
connects, idle timeout; and the Fabric connections it would build from the ssh section."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.configuration.sshkit import Sshkit
from kamal_tasks.connection_pool import KEEPALIVE_SECONDS, ConnectionPool, connect_kwargs


class FakeTransport:
    def __init__(self) -> None:
        self.keepalive: int | None = None

    def set_keepalive(self, seconds: int) -> None:
        self.keepalive = seconds


class FakeConnection:
    """Counts opens; ``open`` takes a while so concurrent opens overlap."""

    active = 0
    most_active = 0
    lock = threading.Lock()

    def __init__(self, host: str) -> None:
        import paramiko

        self.host, self.port, self.gateway = host, 22, None
        self.client = paramiko.SSHClient()
        self.opens = 0
        self.closes = 0
        self.is_connected = False
        self.transport = FakeTransport()

    def open(self) -> None:
        with FakeConnection.lock:
            FakeConnection.active += 1
            FakeConnection.most_active = max(FakeConnection.most_active, FakeConnection.active)
        time.sleep(0.05)
        with FakeConnection.lock:
            FakeConnection.active -= 1
        self.opens += 1
        self.is_connected = True

    def close(self) -> None:
        self.closes += 1
        self.is_connected = False


@pytest.fixture
def fake_pool(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    FakeConnection.active = FakeConnection.most_active = 0

    def make(**sshkit: Any) -> ConnectionPool:
        ssh = Ssh(user_known_hosts_file=str(tmp_path / "kh"), global_known_hosts_file="/none")
        pool = ConnectionPool(ssh, Sshkit(**sshkit))
        monkeypatch.setattr(pool, "_connection", FakeConnection)
        return pool

    return make


def test_one_connection_per_host_opened_once_and_reused(fake_pool: Any) -> None:
    pool = fake_pool()
    first, again = pool.get("h1"), pool.get("h1")
    assert first is again
    assert first.opens == 1
    assert pool.get("h2") is not first


def test_keepalive_is_set_on_every_opened_connection(fake_pool: Any) -> None:
    pool = fake_pool()
    assert pool.get("h1").transport.keepalive == KEEPALIVE_SECONDS == 30


def test_concurrent_connects_are_capped(fake_pool: Any) -> None:
    pool = fake_pool(max_concurrent_starts=2)
    threads = [threading.Thread(target=pool.get, args=(f"h{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert FakeConnection.most_active == 2
    assert len(pool.connections) == 8


def test_a_connection_idle_past_the_timeout_is_reopened(fake_pool: Any) -> None:
    pool = fake_pool(pool_idle_timeout=0)
    connection = pool.get("h1")
    time.sleep(0.01)
    assert pool.get("h1") is connection
    assert (connection.opens, connection.closes) == (2, 1)


def test_close_closes_every_connection(fake_pool: Any) -> None:
    pool = fake_pool()
    connections = [pool.get("h1"), pool.get("h2")]
    pool.close()
    assert [c.closes for c in connections] == [1, 1]
    assert pool.connections == {}


def test_fabric_connection_from_the_ssh_section() -> None:
    ssh = Ssh(user="app", port=2222, keys=("~/.ssh/deploy",), keys_only=True)
    connection = ConnectionPool(ssh, Sshkit())._connection("10.0.0.5")
    assert (connection.host, connection.user, connection.port) == ("10.0.0.5", "app", 2222)
    assert connection.connect_kwargs["key_filename"] == ["~/.ssh/deploy"]
    assert connection.connect_kwargs["look_for_keys"] is False
    assert connection.connect_kwargs["allow_agent"] is False
    assert connection.gateway is None


def test_each_host_gets_its_own_jump_host_connection() -> None:
    pool = ConnectionPool(Ssh.from_raw({"ssh": {"proxy": "bastion.example"}}), Sshkit())
    first, second = pool._connection("10.0.0.5"), pool._connection("10.0.0.6")
    assert (first.gateway.host, first.gateway.user) == ("bastion.example", "root")
    assert first.gateway is not second.gateway


def test_proxy_command_is_passed_as_a_string_gateway() -> None:
    ssh = Ssh(proxy_command="ssh -W %h:%p jump")
    assert ConnectionPool(ssh, Sshkit())._connection("10.0.0.5").gateway == "ssh -W %h:%p jump"


def test_agent_and_default_keys_stay_available_without_keys_only() -> None:
    assert connect_kwargs(Ssh()) == {
        "banner_timeout": 10,
        "auth_timeout": 30,
        "channel_timeout": 30,
    }


def test_key_data_becomes_a_paramiko_key(tmp_path: Any) -> None:
    import subprocess

    import paramiko

    key_file = tmp_path / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_file)], check=True)
    kwargs = connect_kwargs(Ssh(key_data=(key_file.read_text(),)))
    assert isinstance(kwargs["pkey"], paramiko.Ed25519Key)


def test_key_data_that_is_not_a_key_is_a_clear_error() -> None:
    from kamal_tasks.errors import KamalError

    with pytest.raises(KamalError, match="ssh/key_data: not a private key"):
        connect_kwargs(Ssh(key_data=("not a key",)))


def test_log_level_sets_paramikos_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fatal`` (the default) hides paramiko's logged tracebacks; ``debug`` shows everything."""
    import logging

    from kamal_tasks.connection_pool import configure_logging

    logger = logging.getLogger("paramiko")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logger.level)
    configure_logging("fatal")
    assert (logger.level, logger.handlers) == (logging.CRITICAL, [])
    configure_logging("DEBUG")
    assert logger.level == logging.DEBUG
    assert [type(handler) for handler in logger.handlers] == [logging.StreamHandler]


def test_tcp_sockets_send_at_once_and_other_sockets_are_left_alone() -> None:
    import socket

    from kamal_tasks.connection_pool import send_at_once

    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as tcp:
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            send_at_once(tcp)
            assert tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    left, right = socket.socketpair()  # a Unix socket has no Nagle to turn off
    with left, right:
        send_at_once(left)
    send_at_once(object())  # a proxy command's pipe, or a channel through a jump host


def test_the_jump_host_gets_keepalive_and_no_nagle_too() -> None:
    import socket

    from kamal_tasks.connection_pool import tune

    with socket.create_server(("127.0.0.1", 0)) as listener:
        target, jump = FakeConnection("h1"), FakeConnection("bastion")
        with socket.create_connection(listener.getsockname()) as sock:
            target.gateway = jump  # type: ignore[assignment]
            jump.transport.sock = sock  # type: ignore[attr-defined]
            target.transport.sock = object()  # a channel through the jump host
            tune(target)  # type: ignore[arg-type]
            assert target.transport.keepalive == jump.transport.keepalive == 30
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    proxied = FakeConnection("h2")
    proxied.gateway = "ssh -W %h:%p bastion"  # type: ignore[assignment]  # a proxy command
    tune(proxied)  # type: ignore[arg-type]
    assert proxied.transport.keepalive == 30
