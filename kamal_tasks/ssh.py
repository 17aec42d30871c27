"""Reaching hosts over SSH with Fabric: one pooled connection per host."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kamal_tasks.errors import KamalError
from kamal_tasks.output import Output
from kamal_tasks.runner import CommandFailed, Host, Result, Runner

if TYPE_CHECKING:
    from fabric import Connection

    from kamal_tasks.configuration.sections import Ssh, Sshkit

KEEPALIVE_SECONDS = 30


@dataclass
class ConnectionLost(KamalError):
    """The SSH connection dropped before a command reported its exit status."""

    host: str
    command: str

    def __str__(self) -> str:
        return f"lost the connection to {self.host} while running `{self.command}`"


class SshHost(Host):
    """A host reached through a pooled Fabric connection."""

    def __init__(self, runner: SshRunner, name: str) -> None:
        self.runner, self.name = runner, name

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
        self.runner.stop.check()  # after a SIGINT/SIGTERM no new command starts
        output = self.runner.output
        output.command(self.name, command)
        self.runner.last_commands[self.name] = command
        connection = self.runner.pool.get(self.name)
        fabric_result = connection.run(
            command,
            hide=True,
            warn=True,
            pty=False,
            in_stream=io.StringIO(stdin) if stdin is not None else False,
        )
        self.runner.pool.touch(self.name)
        if fabric_result.exited == -1:  # paramiko's "no exit status": the channel died
            raise ConnectionLost(self.name, command)
        result = Result(
            self.name, command, fabric_result.stdout, fabric_result.stderr, fabric_result.exited
        )
        output.command_output(self.name, result.output)
        if not result.ok and not warn:
            raise CommandFailed(result)
        return result

    def upload(self, content: str, path: str, *, shown: str) -> None:
        self.runner.stop.check()
        self.runner.output.command(self.name, f"upload {path} <<< {shown}")
        self.runner.last_commands[self.name] = f"upload {path}"
        self.runner.pool.get(self.name).put(io.BytesIO(content.encode()), remote=path)
        self.runner.pool.touch(self.name)


class SshRunner(Runner):
    """Runs steps over SSH: one reused Fabric connection per host."""

    def __init__(self, ssh: Ssh, sshkit: Sshkit, context: Any, output: Output | None = None):
        super().__init__(output, context)
        self.pool = ConnectionPool(ssh, sshkit)
        self.last_commands: dict[str, str] = {}

    def host(self, name: str) -> Host:
        return SshHost(self, name)

    def close(self) -> None:
        self.pool.close()

    def _last_command(self, name: str) -> str:
        return self.last_commands.get(name, "")


@dataclass
class ConnectionPool:
    """One Fabric connection per host, opened once, reused, reopened after the idle timeout.

    At most ``sshkit.max_concurrent_starts`` connections are being opened at once; every open
    connection sends an SSH keepalive every 30 s.
    """

    ssh: Ssh
    sshkit: Sshkit
    connections: dict[str, Connection] = field(default_factory=dict)
    last_used: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _starts: threading.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._starts = threading.BoundedSemaphore(max(self.sshkit.max_concurrent_starts, 1))

    def get(self, host: str) -> Connection:
        """The open connection to ``host``, opening (or reopening) it as needed."""
        with self._lock:
            connection = self.connections.get(host)
            idle = time.monotonic() - self.last_used.get(host, time.monotonic())
        if connection is not None and idle > self.sshkit.pool_idle_timeout:
            connection.close()
        if connection is None:
            connection = self._connection(host)
            with self._lock:
                self.connections[host] = connection
        if not connection.is_connected:
            with self._starts:
                connection.open()
            transport = connection.transport  # set by open(); typed as optional by paramiko
            if transport is not None:
                transport.set_keepalive(KEEPALIVE_SECONDS)
        self.touch(host)
        return connection

    def touch(self, host: str) -> None:
        """Note that ``host``'s connection was just used."""
        with self._lock:
            self.last_used[host] = time.monotonic()

    def close(self) -> None:
        """Close every connection (and its gateway)."""
        with self._lock:
            connections, self.connections = list(self.connections.values()), {}
        for connection in connections:
            try:
                connection.close()
            except Exception:  # noqa: BLE001,S110 - closing a dead connection may fail
                pass

    def _connection(self, host: str) -> Connection:
        from fabric import Connection

        return Connection(
            host,
            user=self.ssh.user,
            port=self.ssh.port,
            connect_timeout=30,
            connect_kwargs=connect_kwargs(self.ssh),
            gateway=self._gateway(),
        )

    def _gateway(self) -> Connection | str | None:
        # A gateway Connection cannot be shared across threads: one per host.
        if self.ssh.proxy_command:
            return self.ssh.proxy_command
        if self.ssh.proxy:
            from fabric import Connection

            user, _, host = self.ssh.proxy.rpartition("@")
            return Connection(host, user=user or "root", connect_kwargs=connect_kwargs(self.ssh))
        return None


def connect_kwargs(ssh: Ssh) -> dict[str, Any]:
    """paramiko ``connect()`` arguments for the ssh section."""
    kwargs: dict[str, Any] = {"banner_timeout": 30, "auth_timeout": 30}
    if ssh.keys:
        kwargs["key_filename"] = [str(key) for key in ssh.keys]
    if ssh.key_data:
        kwargs["pkey"] = private_key(ssh.key_data[0])
    if ssh.keys_only:
        kwargs["look_for_keys"] = False
        kwargs["allow_agent"] = False
    return kwargs


def private_key(data: str) -> Any:
    """A paramiko key from PEM/OpenSSH text, whatever its type."""
    import paramiko

    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(data))
        except paramiko.SSHException:
            continue
    raise KamalError("ssh/key_data: not a private key paramiko can read")
