"""``ssh.proxy_command`` whose end is noticed at once.

paramiko's ``ProxyCommand.recv`` keeps polling a command that has exited (its stdout at end of
file) until the connect timeout runs out, so ``proxy_command: false`` took the whole timeout
and then read as a timeout. Here the end of the command's output is a ``ProxyCommandFailure``
on the spot, saying how the command ended.
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


@functools.cache
def connection_class() -> type[Connection]:
    """Fabric's ``Connection`` whose string gateway (``proxy_command``) reads as ``read`` does."""
    from fabric import Connection
    from paramiko.proxy import ProxyCommand

    class EndingProxyCommand(ProxyCommand):
        def recv(self, size: int) -> bytes:
            return read(self, size)

    class ProxiedConnection(Connection):
        def open_gateway(self) -> Any:
            gateway = super().open_gateway()
            if isinstance(gateway, ProxyCommand):
                gateway.__class__ = EndingProxyCommand
            return gateway

    return ProxiedConnection
