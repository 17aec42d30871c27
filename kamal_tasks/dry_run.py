"""The dry run: a runner that opens no connection and prints (and records) every command.

Tests script its answers with a responder; ``--dry-run`` answers as a healthy deploy would.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from kamal_tasks.output import Output
from kamal_tasks.runner import LOCAL, CommandFailed, Host, Result, Runner

Responder = Callable[[str, str], "Result | str | int | None"]


class DryRunHost(Host):
    """Prints each command as ``[HOST] COMMAND`` (and records it) instead of running it."""

    def __init__(self, runner: DryRunner, name: str) -> None:
        self.runner, self.name = runner, name

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
        self.runner.stop.check()
        if stdin is not None:
            self.runner.inputs.append((self.name, command, stdin))
        result = self.runner.record(self.name, command)
        if not result.ok and not warn:
            raise CommandFailed(result)
        return result

    def upload(self, content: str, path: str, *, shown: str) -> None:
        self.runner.stop.check()
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
        #: ``(host, command, stdin)`` of each remote command given input (never printed).
        self.inputs: list[tuple[str, str, str]] = []
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
        timeout: float | None = None,
    ) -> Result:
        self.stop.check()
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
