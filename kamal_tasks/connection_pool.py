"""The pool of Fabric connections, one per host: opening them (host keys, keys, proxies),
reusing and closing them, and naming connect failures in a few words."""

from __future__ import annotations

import errno
import io
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamal_tasks.errors import ConnectFailed, KamalError
from kamal_tasks.output import QUIET, Output

if TYPE_CHECKING:
    from fabric import Connection

    from kamal_tasks.configuration.ssh import Ssh
    from kamal_tasks.configuration.sshkit import Sshkit
    from kamal_tasks.known_hosts import KnownHosts


KEEPALIVE_SECONDS = 30


AUTH_TIMEOUT_SECONDS = 30


LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
              "warning": logging.WARNING, "error": logging.ERROR}  # fmt: skip


@dataclass
class ConnectionPool:
    """One Fabric connection per host, opened once, reused, reopened after the idle timeout.

    At most ``sshkit.max_concurrent_starts`` connections are being opened at once; every open
    connection sends an SSH keepalive every 30 s. Host keys are checked against ``known_hosts``
    before authenticating; connect failures become one-line ``ConnectFailed`` errors.
    """

    ssh: Ssh
    sshkit: Sshkit
    known_hosts: KnownHosts = None  # type: ignore[assignment] # default: from the ssh section
    connections: dict[str, Connection] = field(default_factory=dict)
    last_used: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _starts: threading.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._starts = threading.BoundedSemaphore(max(self.sshkit.max_concurrent_starts, 1))
        if self.known_hosts is None:
            self.known_hosts = host_key_checking(self.ssh, Output(QUIET))

    def get(self, host: str) -> Connection:
        """The open connection to ``host``, opening (or reopening) it as needed."""
        with self._lock:
            connection = self.connections.get(host)
            idle = time.monotonic() - self.last_used.get(host, time.monotonic())
        if connection is not None and (
            idle > self.sshkit.pool_idle_timeout or not connection.is_connected
        ):
            connection.close()  # also a dropped one: its cached SFTP session is dead too
        if connection is None:
            connection = self._connection(host)
            with self._lock:
                self.connections[host] = connection
        if not connection.is_connected:
            with self._starts:
                self._open(connection)
            tune(connection)
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

    def _open(self, connection: Connection) -> None:
        """Open ``connection`` (its jump host first), checking host keys; name what failed."""
        from fabric import Connection

        gateway = connection.gateway
        jump = f"{gateway.user}@{address(gateway)}" if isinstance(gateway, Connection) else None
        if isinstance(gateway, Connection) and not gateway.is_connected:
            try:
                self._open_one(gateway)
            except KamalError as error:
                raise ConnectFailed(f"jump host {jump}", str(error)) from None
            except Exception as error:  # noqa: BLE001 - every failure is described
                raise ConnectFailed(f"jump host {jump}", self._reason(error)) from None
        try:
            self._open_one(connection)
        except KamalError:
            raise
        except Exception as error:  # noqa: BLE001 - every failure is described
            raise ConnectFailed(address(connection), self._reason(error), jump) from None

    def _open_one(self, connection: Connection) -> None:
        """``connection.open()`` with the known host keys; a changed key is ``HostKeyChanged``."""
        import paramiko

        host, port = connection.host or "", int(connection.port or 22)
        client = connection.client
        assert client is not None  # Fabric makes the client in Connection.__init__
        self.known_hosts.prepare(client, host, port)
        try:
            connection.open()
        except BaseException as error:
            client.close()  # the socket, or the proxy_command process
            if isinstance(error, paramiko.BadHostKeyException):
                raise self.known_hosts.changed(host, port, error.key) from None
            raise

    def _reason(self, error: BaseException) -> str:
        return connect_failure(error, self.ssh.connect_timeout)

    def _connection(self, host: str) -> Connection:
        from kamal_tasks.fabric_connection import connection_class

        return connection_class()(
            host,
            user=self.ssh.user,
            port=self.ssh.port,
            connect_timeout=self.ssh.connect_timeout,
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
            # channel_timeout bounds the jump host's own connect to the target.
            kwargs = {**connect_kwargs(self.ssh), "channel_timeout": self.ssh.connect_timeout}
            return Connection(
                host,
                user=user or "root",
                connect_timeout=self.ssh.connect_timeout,
                connect_kwargs=kwargs,
            )
        return None


def tune(connection: Connection) -> None:
    """Keepalives every 30 s; and no Nagle delay, on the connection and its jump host.

    Without ``TCP_NODELAY`` each new channel waits for the server's delayed ACK of the last
    packet (about 40 ms on Linux): one remote command took 45 ms instead of 3 ms.
    """
    for each in (connection, connection.gateway):  # a gateway may be a proxy command string
        transport = getattr(each, "transport", None)
        if transport is not None:
            transport.set_keepalive(KEEPALIVE_SECONDS)
            send_at_once(getattr(transport, "sock", None))


def send_at_once(sock: object) -> None:
    """Turn Nagle's algorithm off on a TCP socket (a proxy command or channel is left alone)."""
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def address(connection: Connection) -> str:
    """``host`` or ``host:port`` (off port 22), for messages."""
    host, port = connection.host or "", int(connection.port or 22)
    return host if port == 22 else f"{host}:{port}"


def connect_failure(error: BaseException, timeout: float) -> str:
    """A few words on why connecting failed, from paramiko's or the socket's exception."""
    import paramiko

    cause = error.__cause__ or error.__context__
    if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError):
        error = next(iter(error.errors.values()))
    if isinstance(error, socket.timeout | TimeoutError) or isinstance(cause, TimeoutError):
        return f"timed out after {timeout:g} s (ssh/connect_timeout)"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name ({error.strerror})"
    if isinstance(error, paramiko.AuthenticationException):
        return f"authentication failed ({error}); check ssh/keys, ssh/key_data or the SSH agent"
    if isinstance(error, paramiko.ChannelException):
        return f"the jump host could not open a connection to it ({error.text})"
    if isinstance(error, paramiko.ProxyCommandFailure):
        return f"ssh/proxy_command failed: {error}"
    if isinstance(error, EOFError | ConnectionResetError) or isinstance(
        cause, EOFError | ConnectionResetError
    ):
        return "the host closed the connection during the SSH handshake (is sshd running there?)"
    if isinstance(error, OSError) and error.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
        return "connection refused" if error.errno == errno.ECONNREFUSED else "no route to host"
    if isinstance(error, OSError) and error.filename:  # proxy_command's program, for one
        return f"{error.strerror}: {error.filename}"
    if isinstance(error, OSError):
        return error.strerror or str(error) or type(error).__name__
    if str(error) == "No existing session":  # start_client gave up waiting for the key exchange
        return f"the SSH handshake did not finish within {timeout:g} s (ssh/connect_timeout)"
    return f"SSH handshake failed ({str(error) or type(error).__name__})"


def host_key_checking(ssh: Ssh, output: Output) -> KnownHosts:
    """The known_hosts files and policy of the ssh section; warns when checking is off."""
    from kamal_tasks.known_hosts import NEVER, KnownHosts

    if ssh.verify_host_key == NEVER:
        output.warning("ssh/verify_host_key is never: SSH host keys are not checked")

    def recorded(host: str, line: str) -> None:
        output.host(host, f"added its host key to {ssh.user_known_hosts_file}")

    return KnownHosts(
        ssh.verify_host_key,
        Path(ssh.user_known_hosts_file).expanduser(),
        Path(ssh.global_known_hosts_file).expanduser(),
        on_record=recorded,
        on_warning=output.warning,
    )


def configure_logging(level: str) -> None:
    """paramiko logs at ``ssh.log_level`` (default ``fatal``: nothing) to stderr."""
    logger = logging.getLogger("paramiko")
    logger.setLevel(LOG_LEVELS.get(str(level).lower(), logging.CRITICAL))
    if logger.level <= logging.ERROR and not logger.handlers:
        logger.addHandler(logging.StreamHandler())


def connect_kwargs(ssh: Ssh) -> dict[str, Any]:
    """paramiko ``connect()`` arguments for the ssh section."""
    kwargs: dict[str, Any] = {
        "banner_timeout": ssh.connect_timeout,
        "auth_timeout": AUTH_TIMEOUT_SECONDS,
        "channel_timeout": AUTH_TIMEOUT_SECONDS,
    }
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
