"""Errors on the hosts: failed commands, lost or refused connections, what a host lacks."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kamal_tasks.errors.base import KamalError, tail

if TYPE_CHECKING:
    from kamal_tasks.runner import Result


@dataclass
class HostFailure:
    """One host's failure: the command, its exit status and the tail of its output."""

    host: str
    command: str
    exited: int | None
    output: str
    reason: str = ""

    def __str__(self) -> str:
        if self.exited is None:
            first, *rest = (self.reason or "failed").splitlines() or [""]
            lines = [f"  {self.host}: {first}", *(f"    {line}" for line in rest)]
            if self.command:
                lines.append(f"    (while running: {self.command})")
            return "\n".join(lines)
        lines = [f"  {self.host}: `{self.command}` exited {self.exited}"]
        return "\n".join([*lines, *(f"    {line}" for line in tail(self.output))])


@dataclass
class HostsFailed(KamalError):
    """One or more hosts failed a step; every host's thread had finished."""

    failures: list[HostFailure] = field(default_factory=list)

    @property
    def hosts(self) -> list[str]:
        return [failure.host for failure in self.failures]

    def __str__(self) -> str:
        header = f"Failed on {len(self.failures)} host(s): {', '.join(self.hosts)}"
        return "\n".join([header, *(str(failure) for failure in self.failures)])


@dataclass
class LockHeld(KamalError):
    """The deploy lock is held by someone else."""

    details: str = ""

    def __str__(self) -> str:
        return f"Deploy lock found\n{self.details}".rstrip()


@dataclass
class CommandFailed(KamalError):
    """A command exited non-zero where failure was not allowed."""

    result: Result

    def __str__(self) -> str:
        header = f"[{self.result.host}] `{self.result.command}` exited {self.result.exited}"
        return "\n".join([header, *tail(self.result.output)]).rstrip()


@dataclass
class Interrupted(KamalError):
    """A signal asked the task to stop: raised at the next command boundary."""

    signal_name: str

    def __str__(self) -> str:
        return f"Interrupted by {self.signal_name}: no new command was started"


@dataclass
class ConnectionLost(KamalError):
    """The SSH connection dropped before a command reported its exit status."""

    host: str
    command: str

    def __str__(self) -> str:
        return f"lost the connection to {self.host} while running `{self.command}`"


@dataclass
class CommandTimedOut(KamalError):
    """A remote command ran longer than ``sshkit.command_timeout``."""

    host: str
    command: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"`{self.command}` on {self.host} did not finish within {self.seconds:g} s"
            " (sshkit/command_timeout)"
        )


@dataclass
class ConnectFailed(KamalError):
    """Opening an SSH connection failed; ``reason`` says how, in a few words."""

    host: str
    reason: str
    jump: str | None = None

    def __str__(self) -> str:
        via = f" through jump host {self.jump}" if self.jump else ""
        return f"cannot connect to {self.host}{via}: {self.reason}"


@dataclass
class HostKeyChanged(KamalError):
    """The host offered a key other than the one known_hosts holds for it."""

    host: str
    name: str
    offered: str
    known_in: Path
    user_file: Path

    def __str__(self) -> str:
        from kamal_tasks.known_hosts import USER_FILE, display

        remove = f"ssh-keygen -R {shlex.quote(self.name)}"
        if self.known_in != Path(USER_FILE).expanduser():
            remove += f" -f {shlex.quote(str(self.known_in))}"
        return (
            f"SSH host key of {self.host} has changed (it offered {self.offered}, which does not"
            f" match {display(self.known_in)}): refused to connect, nothing was sent. If the"
            f" server was rebuilt, remove the old key with `{remove}` and retry"
        )


@dataclass
class HostKeyUnknown(KamalError):
    """``verify_host_key: always`` and the host is in no known_hosts file."""

    host: str
    port: int
    offered: str
    user_file: Path

    def __str__(self) -> str:
        from kamal_tasks.known_hosts import display

        port = f"-p {self.port} " if self.port != 22 else ""
        scan = f"ssh-keyscan {port}{self.host} >> {shlex.quote(display(self.user_file))}"
        return (
            f"SSH host key of {self.host} is unknown (it offered {self.offered}) and"
            f" ssh/verify_host_key is always: refused to connect. Check the fingerprint and"
            f" add the key (e.g. `{scan}`)"
        )


@dataclass
class EnvFilesMissing(KamalError):
    """Role env files that a deploy needs are not on some hosts."""

    missing: dict[str, list[str]]

    def __str__(self) -> str:
        lines = [f"  {host}: {', '.join(paths)}" for host, paths in self.missing.items()]
        return "\n".join(["Env files are missing (run `inv env.push` first):", *lines])


@dataclass
class VersionUnavailable(KamalError):
    """``rollback`` to a version whose containers are not on every host."""

    version: str
    hosts: list[str]

    def __str__(self) -> str:
        return (
            f"The app version '{self.version}' is not available as a container on "
            f"{', '.join(self.hosts)} (see `inv app.containers` for available versions)"
        )


@dataclass
class PickOneHost(KamalError):
    """A one-host session (``-i``, ``--follow``) matched several hosts."""

    task: str
    hosts: list[str]

    def __str__(self) -> str:
        return (
            f"{self.task} runs on one host, but --hosts matched {', '.join(self.hosts)}: "
            "pick one with --hosts"
        )


@dataclass
class NoRunningContainer(KamalError):
    """``--reuse`` found no running container of the role on the host."""

    role: str
    host: str

    def __str__(self) -> str:
        return f"No running container of role {self.role} on {self.host} to reuse"


@dataclass
class ContainerUnhealthy(KamalError):
    """A new container did not become healthy (or ready) in time, or crashed."""

    host: str
    container: str
    status: str
    details: str = ""

    def __str__(self) -> str:
        message = f"{self.container} on {self.host} not ready ({self.status or 'gone'})"
        return f"{message}\n{self.details}".rstrip()


@dataclass
class BarrierClosed(KamalError):
    """A waiting role's new container was stopped because the primary role failed."""

    primary_role: str
    role: str
    host: str

    def __str__(self) -> str:
        return (
            f"First {self.primary_role} container is unhealthy, "
            f"not booting {self.role} on {self.host}"
        )
