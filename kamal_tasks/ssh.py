"""Reaching hosts over SSH with Fabric: one pooled connection per host."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

from invoke.exceptions import CommandTimedOut as InvokeTimedOut
from invoke.exceptions import ThreadException

from kamal_tasks.connection_pool import (
    ConnectionPool,
    configure_logging,
    host_key_checking,
)
from kamal_tasks.errors import CommandTimedOut, ConnectionLost
from kamal_tasks.output import Output
from kamal_tasks.runner import CommandFailed, Host, Result, Runner, WholeText

if TYPE_CHECKING:
    from kamal_tasks.configuration.ssh import Ssh
    from kamal_tasks.configuration.sshkit import Sshkit


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
        timeout = self.runner.pool.sshkit.command_timeout
        started = time.monotonic()
        try:
            fabric_result = connection.run(
                command,
                hide=True,
                warn=True,
                pty=False,
                in_stream=WholeText(stdin) if stdin is not None else False,
                timeout=timeout,
            )
        except InvokeTimedOut:
            raise CommandTimedOut(self.name, command, timeout) from None
        except ThreadException:  # e.g. stdin written to a channel that died: one line
            raise ConnectionLost(self.name, command) from None
        self.runner.pool.touch(self.name)
        if fabric_result.exited == -1:  # paramiko's "no exit status": the channel died
            if time.monotonic() - started >= timeout:  # closed by Invoke's timer, it just
                raise CommandTimedOut(self.name, command, timeout)  # had not noted it yet
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
        connection = self.runner.pool.get(self.name)
        timeout = self.runner.pool.sshkit.command_timeout
        connection.sftp().get_channel().settimeout(timeout)
        try:
            connection.put(io.BytesIO(content.encode()), remote=path)
        except TimeoutError:
            raise CommandTimedOut(self.name, f"upload {path}", timeout) from None
        self.runner.pool.touch(self.name)


class SshRunner(Runner):
    """Runs steps over SSH: one reused Fabric connection per host."""

    def __init__(self, ssh: Ssh, sshkit: Sshkit, context: Any, output: Output | None = None):
        super().__init__(output, context)
        self.pool = ConnectionPool(ssh, sshkit, host_key_checking(ssh, self.output))
        self.last_commands: dict[str, str] = {}
        configure_logging(ssh.log_level)

    def host(self, name: str) -> Host:
        return SshHost(self, name)

    def close(self) -> None:
        self.pool.close()

    def _last_command(self, name: str) -> str:
        return self.last_commands.get(name, "")
