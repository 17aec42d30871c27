"""A real SSH server on 127.0.0.1 (paramiko's server side) that records what clients did.

Any public key authenticates. ``exec`` requests are recorded; a command starting ``sleep``
never finishes, ``exit N`` exits N, anything else prints ``ran: COMMAND`` and exits 0.
Also: ``closing_port()`` (accepts TCP and closes at once) and ``silent_port()`` (accepts and
never says anything), for connect failures.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import paramiko


@dataclass
class Recorded:
    """What clients did: public keys offered for auth, and commands run."""

    auth_attempts: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


class _Interface(paramiko.ServerInterface):
    def __init__(self, recorded: Recorded) -> None:
        self.recorded = recorded

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self.recorded.auth_attempts.append(f"{username} {key.get_name()}")
        return paramiko.AUTH_SUCCESSFUL

    def check_auth_none(self, username: str) -> int:
        self.recorded.auth_attempts.append(f"{username} none")
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode()
        self.recorded.commands.append(text)
        threading.Thread(target=_answer, args=(channel, text), daemon=True).start()
        return True


def _answer(channel: paramiko.Channel, command: str) -> None:
    time.sleep(0.05)  # let the server confirm the exec request before answering it
    if command.startswith("sleep"):
        return  # never finishes
    if command.startswith("exit "):
        channel.send_exit_status(int(command.split()[1]))
    else:
        channel.sendall(f"ran: {command}\n".encode())
        channel.send_exit_status(0)
    channel.close()


class SshServer:
    """Serves SSH on 127.0.0.1:``port`` with ``host_keys`` (default: a new ECDSA key)."""

    def __init__(self, *host_keys: paramiko.PKey) -> None:
        self.host_keys = list(host_keys) or [paramiko.ECDSAKey.generate()]
        self.host_key = self.host_keys[0]
        self.recorded = Recorded()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.transports: list[paramiko.Transport] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(sock)
            for key in self.host_keys:
                transport.add_server_key(key)
            self.transports.append(transport)
            try:
                transport.start_server(server=_Interface(self.recorded))
            except (paramiko.SSHException, EOFError, OSError):
                continue

    def stop(self) -> None:
        """Stop listening and close every session."""
        self.listener.close()
        for transport in self.transports:
            transport.close()


@contextmanager
def ssh_server(*host_keys: paramiko.PKey) -> Iterator[SshServer]:
    """A running ``SshServer``, stopped afterwards."""
    server = SshServer(*host_keys)
    try:
        yield server
    finally:
        server.stop()


def _accepting(handle: Callable[[socket.socket], bool | None]) -> tuple[socket.socket, int]:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        held = []
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                for held_connection in held:
                    held_connection.close()
                return
            if handle(connection):
                held.append(connection)

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


@contextmanager
def closing_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections and closes them at once."""
    listener, port = _accepting(lambda connection: connection.close())
    try:
        yield port
    finally:
        listener.close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections and never sends a byte."""
    listener, port = _accepting(lambda connection: True)
    try:
        yield port
    finally:
        listener.close()


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connections are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
