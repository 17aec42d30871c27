"""Running commands on hosts: the runner, and what a command did.

The runner knows nothing about Kamal: flows hand it host names and a *step* (a function of one
``Host``), and it runs the step on every host in parallel. A failing host never stops the
others: every thread finishes, then one ``HostsFailed`` names each failed host. How a host is
reached is a subclass's business: ``ssh.SshRunner`` (Fabric) or ``dry_run.DryRunner``.

**Stopping.** SIGINT and SIGTERM do not kill the task: ``stop_on_signals`` (installed by the
task wrapper, main thread only) turns them into a shared ``StopRequest``. Every host handle
checks it before each remote command and upload, ``Runner.local`` before each local command,
and ``Runner.on`` before each host's step: from then on no new work starts anywhere, the
commands in flight finish, and ``Interrupted`` unwinds the flow. Cleanup (stopping a
half-started container, releasing the lock) runs inside ``StopRequest.cleanup()``, which the
checks let through. Further signals are only reported: the process exits once the commands in
flight have finished and the cleanup has run, never before.
"""

from __future__ import annotations

import io
import math
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from kamal_tasks.errors import CommandFailed, HostFailure, HostsFailed, Interrupted, KamalError
from kamal_tasks.output import Output
from kamal_tasks.signals import StopRequest

T = TypeVar("T")
LOCAL = "local"


class WholeText(io.StringIO):
    """Text for a command's stdin that Invoke sends at once: for a stream that is not a
    terminal Invoke asks for one character per read, 10 ms apart (an 18-character password
    took 0.2 s, a 2 KB env file 20 s); this one answers any read with all that is left."""

    def read(self, size: int | None = -1) -> str:
        return super().read()


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
        #: Checked before every command and step; shared with the task's ``KamalContext``.
        self.stop = StopRequest()

    def host(self, name: str) -> Host:
        """The handle for ``name``."""
        raise NotImplementedError(f"this runner reaches no hosts ({name})")

    def on(self, hosts: Iterable[str], step: Callable[[Host], T]) -> dict[str, T]:
        """Run ``step`` on every host at once; wait for all; raise ``HostsFailed`` if any did.

        Returns each host's result, in the order the hosts were given. After a stop request
        no step starts (unless called from cleanup), and ``Interrupted`` is raised once every
        running step has finished; steps that all completed still return their results.
        """
        hosts = list(dict.fromkeys(hosts))
        results: dict[str, T] = {}
        failures: list[HostFailure] = []
        interrupted: list[Interrupted] = []
        lock = threading.Lock()
        cleaning_up = self.stop.in_cleanup  # worker threads inherit the caller's cleanup

        def attempt(name: str) -> None:
            try:
                with self.stop.cleanup() if cleaning_up else nullcontext():
                    self.stop.check()
                    value = step(self.host(name))
            except Interrupted as error:
                with lock:
                    interrupted.append(error)
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
        if interrupted:
            failures.sort(key=lambda failure: hosts.index(failure.host))
            for failure in failures:
                self.output.error(str(failure).strip())
            raise interrupted[0]
        if failures:
            failures.sort(key=lambda failure: hosts.index(failure.host))
            raise HostsFailed(failures)
        return {name: results[name] for name in hosts}

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
        timeout: float | None = None,
    ) -> Result:
        """Run ``command`` on this machine, through the Invoke context.

        With a ``timeout`` (hooks) it runs in a process group of its own instead, killed
        whole after ``timeout`` seconds (raising ``local_process.ProcessTimedOut``; ``inf``:
        never); a stop request (SIGINT/SIGTERM) is passed on to that group, as the terminal
        would.
        """
        self.stop.check()
        self.output.command(LOCAL, command)
        if timeout is not None:
            from kamal_tasks.local_process import run_process

            done = run_process(
                command,
                timeout=None if math.isinf(timeout) else timeout,
                env={**os.environ, **(env or {})},
                on_stop=self.stop.pending_signal,
            )
            result = Result(LOCAL, command, done.stdout, done.stderr, done.exited)
        else:
            invoke_result = self.context.run(
                command,
                hide=True,
                warn=True,
                env=env or {},
                pty=False,
                in_stream=WholeText(stdin) if stdin is not None else False,
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
