"""Running commands on hosts: over SSH with Fabric, or printed by a dry run.

The runner knows nothing about Kamal: flows hand it host names and a *step* (a function of one
``Host``), and it runs the step on every host in parallel. A failing host never stops the
others: every thread finishes, then one ``HostsFailed`` names each failed host.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kamal_tasks.errors import HostFailure, HostsFailed, KamalError
from kamal_tasks.output import Output

if TYPE_CHECKING:
    from fabric import Connection

    from kamal_tasks.configuration.sections import Ssh, Sshkit

T = TypeVar("T")
LOCAL = "local"
KEEPALIVE_SECONDS = 30


@dataclass
class Result:
    """What one command did on one host."""

    host: str
    command: str
    stdout: str = ""
    stderr: str = ""
    exited: int = 0

    @property
    def ok(self) -> bool:
        """Whether the command exited 0."""
        return self.exited == 0

    @property
    def output(self) -> str:
        """Standard output and error together."""
        return self.stdout + self.stderr


@dataclass
class CommandFailed(KamalError):
    """A command exited non-zero where failure was not allowed."""

    result: Result

    def __str__(self) -> str:
        tail = "\n".join(self.result.output.rstrip().splitlines()[-10:])
        header = f"[{self.result.host}] `{self.result.command}` exited {self.result.exited}"
        return f"{header}\n{tail}".rstrip()


@dataclass
class ConnectionLost(KamalError):
    """The SSH connection dropped before a command reported its exit status."""

    host: str
    command: str

    def __str__(self) -> str:
        return f"lost the connection to {self.host} while running `{self.command}`"


class Host:
    """One host as seen by a step: run commands on it and upload files to it."""

    name: str

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
        """Run ``command``; raise ``CommandFailed`` on non-zero unless ``warn``."""
        raise NotImplementedError

    def upload(self, content: str, path: str, *, shown: str) -> None:
        """Write ``content`` to ``path``; ``shown`` is what output and dry runs may print."""
        raise NotImplementedError


class Runner:
    """Runs steps on hosts in parallel, and local commands through an Invoke context.

    Subclasses say how to reach a host (``host()``); this base class reaches none, which is
    all the ``pre-init`` hook needs before the configuration is loaded.
    """

    dry_run = False
    #: Run steps on all hosts at once (a dry run goes host by host, for a readable plan).
    parallel = True

    def __init__(self, output: Output | None = None, context: Any = None) -> None:
        self.output = output or Output()
        self.context = context

    def host(self, name: str) -> Host:
        """The handle for ``name``."""
        raise NotImplementedError(f"this runner reaches no hosts ({name})")

    def on(self, hosts: Iterable[str], step: Callable[[Host], T]) -> dict[str, T]:
        """Run ``step`` on every host at once; wait for all; raise ``HostsFailed`` if any did."""
        hosts = list(dict.fromkeys(hosts))
        results: dict[str, T] = {}
        failures: list[HostFailure] = []
        lock = threading.Lock()

        def attempt(name: str) -> None:
            try:
                value = step(self.host(name))
            except Exception as error:  # noqa: BLE001 - every host's error is reported
                with lock:
                    failures.append(host_failure(name, error, self._last_command(name)))
            else:
                with lock:
                    results[name] = value

        if len(hosts) == 1 or not self.parallel:
            for name in hosts:
                attempt(name)
        else:
            with ThreadPoolExecutor(max_workers=max(len(hosts), 1)) as pool:
                list(pool.map(attempt, hosts))
        if failures:
            failures.sort(key=lambda failure: hosts.index(failure.host))
            raise HostsFailed(failures)
        return results

    def run(self, hosts: Iterable[str], command: str, *, warn: bool = False) -> dict[str, Result]:
        """Run one command on every host in parallel."""
        return self.on(hosts, lambda host: host.run(command, warn=warn))

    def local(
        self,
        command: str,
        *,
        env: dict[str, str] | None = None,
        warn: bool = False,
        stdin: str | None = None,
    ) -> Result:
        """Run ``command`` on this machine, through the Invoke context."""
        self.output.command(LOCAL, command)
        invoke_result = self.context.run(
            command,
            hide=True,
            warn=True,
            env=env or {},
            pty=False,
            in_stream=io.StringIO(stdin) if stdin is not None else False,
        )
        result = Result(
            LOCAL, command, invoke_result.stdout, invoke_result.stderr, invoke_result.exited
        )
        self.output.command_output(LOCAL, result.output)
        if not result.ok and not warn:
            raise CommandFailed(result)
        return result

    def close(self) -> None:
        """Close whatever connections are open."""

    def _last_command(self, name: str) -> str:
        return ""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def host_failure(host: str, error: BaseException, last_command: str) -> HostFailure:
    """Describe why a host's step failed."""
    if isinstance(error, CommandFailed):
        result = error.result
        return HostFailure(host, result.command, result.exited, result.output)
    if isinstance(error, KamalError):
        # Our own errors say what went wrong; the last command may be unrelated cleanup.
        return HostFailure(host, "", None, "", reason=str(error))
    reason = f"{type(error).__name__}: {error}".rstrip(": ")
    return HostFailure(host, last_command, None, "", reason=reason)


# --- dry run and recording ---------------------------------------------------------------

Responder = Callable[[str, str], "Result | str | int | None"]


class DryRunHost(Host):
    """Prints each command as ``[HOST] COMMAND`` (and records it) instead of running it."""

    def __init__(self, runner: DryRunner, name: str) -> None:
        self.runner, self.name = runner, name

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
        result = self.runner.record(self.name, command)
        if not result.ok and not warn:
            raise CommandFailed(result)
        return result

    def upload(self, content: str, path: str, *, shown: str) -> None:
        self.runner.record(self.name, f"upload {path} <<< {shown}")


class DryRunner(Runner):
    """Opens no connection: prints and records every command a real run would execute.

    ``responder(host, command)`` may script answers for tests: a ``Result``, stdout text, an
    exit code, or None for an empty success.
    """

    dry_run = True

    def __init__(
        self,
        output: Output | None = None,
        responder: Responder | None = None,
        echo: bool = True,
        parallel: bool = False,
    ) -> None:
        super().__init__(output)
        self.parallel = parallel
        self.responder = responder
        self.echo = echo
        self.commands: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def host(self, name: str) -> Host:
        return DryRunHost(self, name)

    def record(self, host: str, command: str) -> Result:
        """Note (and print) one command and produce its scripted result."""
        with self._lock:
            self.commands.append((host, command))
            if self.echo:
                self.output.plan(host, command)
        answer = self.responder(host, command) if self.responder else None
        if isinstance(answer, Result):
            return answer
        if isinstance(answer, int):
            return Result(host, command, exited=answer)
        return Result(host, command, stdout=answer or "")

    def local(
        self,
        command: str,
        *,
        env: dict[str, str] | None = None,
        warn: bool = False,
        stdin: str | None = None,
    ) -> Result:
        result = self.record(LOCAL, command)
        if not result.ok and not warn:
            raise CommandFailed(result)
        return result

    def commands_on(self, host: str) -> list[str]:
        """The commands recorded for ``host``, in order."""
        return [command for name, command in self.commands if name == host]


def responses(table: dict[str, Any]) -> Responder:
    """A responder answering the first regex in ``table`` that matches the command."""

    def answer(host: str, command: str) -> Any:
        for pattern, value in table.items():
            if re.search(pattern, command):
                return value(host, command) if callable(value) else value
        return None

    return answer


# --- SSH ---------------------------------------------------------------------------------


class SshHost(Host):
    """A host reached through a pooled Fabric connection."""

    def __init__(self, runner: SshRunner, name: str) -> None:
        self.runner, self.name = runner, name

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
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
            connection.transport.set_keepalive(KEEPALIVE_SECONDS)
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
