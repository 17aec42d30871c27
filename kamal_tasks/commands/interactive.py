"""The system ``ssh`` command line for sessions with a terminal (``-i``) and followed logs,
as Kamal runs them: ``ssh -t ... user@host '<remote command>'``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamal_tasks.configuration.sections import Ssh

#: Host keys: the system ssh's own known_hosts, new hosts accepted, changed keys refused.
HOST_KEY_CHECKING = "StrictHostKeyChecking=accept-new"


def proxy_args(ssh: Ssh) -> list[str]:
    """``-J user@proxy`` for ``ssh.proxy``, ``-o ProxyCommand=...`` for ``ssh.proxy_command``."""
    if ssh.proxy_command:
        return ["-o", f"ProxyCommand={ssh.proxy_command}"]
    if ssh.proxy:
        return ["-J", ssh.proxy]
    return []


def key_args(ssh: Ssh) -> list[str]:
    """``-i KEY`` per ``ssh.keys`` entry, and ``-o IdentitiesOnly=yes`` with ``keys_only``."""
    args = [arg for key in ssh.keys for arg in ("-i", key)]
    return [*args, "-o", "IdentitiesOnly=yes"] if ssh.keys_only else args


def ssh_argv(ssh: Ssh, host: str, remote_command: str, *, tty: bool = True) -> list[str]:
    """``ssh [-t] -p PORT [-i KEY...] [proxy] -o StrictHostKeyChecking=accept-new USER@HOST CMD``.

    An argv (no local shell): ``remote_command`` is one argument, run by the remote shell.
    """
    return [
        "ssh",
        *(["-t"] if tty else []),
        "-p",
        str(ssh.port),
        *key_args(ssh),
        *proxy_args(ssh),
        "-o",
        HOST_KEY_CHECKING,
        f"{ssh.user}@{host}",
        remote_command,
    ]


def interruptible(command: str) -> str:
    """``trap 'exit 130' INT; COMMAND``: a Ctrl-C typed into the remote terminal ends the
    command and the session with status 130 (not killed by a signal, which ssh reports as 255).
    """
    return f"trap 'exit 130' INT; {command}"
