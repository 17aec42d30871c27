"""Fabric's ``Connection``, with two of its parts' edges smoothed.

- ``ssh.proxy_command``: paramiko's ``ProxyCommand.recv`` keeps polling a command that has
  exited (its stdout at end of file) until the connect timeout runs out, so
  ``proxy_command: false`` took the whole timeout and then read as a timeout. Here the end of
  the command's output is a ``ProxyCommandFailure`` on the spot, saying how it ended.
- Command timeouts: Invoke's timer ends a remote command by closing its channel; when the
  channel is already gone that raises in the timer's thread, printing a traceback. Here a
  failed close is quiet (the command is over either way).
"""

from __future__ import annotations

import functools
import os
import select
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fabric import Connection


def read(proxy: Any, size: int) -> bytes:
    """Up to ``size`` bytes from the proxy command's stdout, within ``proxy.timeout``."""
    from paramiko.ssh_exception import ProxyCommandFailure

    buffer, started = b"", time.monotonic()
    while len(buffer) < size:
        wait = None if proxy.timeout is None else proxy.timeout - (time.monotonic() - started)
        if wait is not None and wait <= 0:
            if buffer:
                return buffer
            raise TimeoutError()
        try:
            ready, _, _ = select.select([proxy.process.stdout], [], [], wait)
            chunk = os.read(proxy.process.stdout.fileno(), size - len(buffer)) if ready else None
        except OSError as error:
            raise ProxyCommandFailure(" ".join(proxy.cmd), error.strerror or str(error)) from None
        if chunk == b"":
            if buffer:
                return buffer
            raise ProxyCommandFailure(" ".join(proxy.cmd), ended(proxy.process))
        buffer += chunk or b""
    return buffer


def ended(process: Any) -> str:
    """``exited with status N`` (or ``closed its output`` while still running)."""
    try:
        status = process.wait(timeout=0.2)
    except Exception:  # noqa: BLE001 - still running: it only closed its stdout
        return "closed its output"
    return f"exited with status {status}"


def close_proxy(proxy: Any) -> None:
    """End the proxy command (unless it has ended, and been reaped, already) and reap it."""
    import subprocess

    process = proxy.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


#: How often a waiting command also checks its reader threads for a crash.
THREAD_CHECK_SECONDS = 0.05


def wait_for_exit(runner: Any) -> None:
    """Block until the remote command exits (or a reader thread died).

    Invoke's own ``wait()`` sleeps 10 ms between checks; this wakes the moment paramiko
    records the exit status or closes the channel (a timeout's kill closes it too).
    """
    while not (runner.process_is_finished or runner.has_dead_threads):
        runner.channel.status_event.wait(THREAD_CHECK_SECONDS)


@functools.cache
def connection_class() -> type[Connection]:
    """Fabric's ``Connection`` whose ``proxy_command`` ends as ``read``/``close_proxy`` say and
    whose commands end quietly on a timeout and are noticed the moment they exit."""
    from fabric import Connection
    from fabric.runners import Remote
    from paramiko.proxy import ProxyCommand

    class EndingProxyCommand(ProxyCommand):
        def recv(self, size: int) -> bytes:
            return read(self, size)

        def close(self) -> None:
            close_proxy(self)

    class QuietlyKilled(Remote):
        def wait(self) -> None:
            wait_for_exit(self)

        def kill(self) -> None:
            try:
                super().kill()
            except (EOFError, OSError):
                pass  # the channel had closed already: nothing left to end

    class KamalConnection(Connection):
        def open_gateway(self) -> Any:
            gateway = super().open_gateway()
            if isinstance(gateway, ProxyCommand):
                gateway.__class__ = EndingProxyCommand
            return gateway

        def _remote_runner(self) -> Any:
            return QuietlyKilled(context=self, inline_env=self.inline_ssh_env)

    return KamalConnection
