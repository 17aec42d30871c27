"""The system ``ssh`` command line for sessions with a terminal (``-i``) and followed logs,
as Kamal runs them: ``ssh -t ... user@host '<remote command>'``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamal_tasks.configuration.ssh import Ssh

#: ``ssh.verify_host_key`` -> OpenSSH's ``StrictHostKeyChecking``: the same policy as our own
#: connections (new hosts accepted and recorded, changed keys refused, by default).
STRICT_HOST_KEY_CHECKING = {"accept_new": "accept-new", "always": "yes", "never": "no"}


def host_key_args(ssh: Ssh) -> list[str]:
    """``-o StrictHostKeyChecking=...`` from ``ssh.verify_host_key``, the known_hosts files when
    they are not OpenSSH's defaults, and ``ConnectTimeout`` from ``ssh.connect_timeout``."""
    from kamal_tasks.configuration.ssh import Ssh  # OpenSSH's defaults are the section's

    args = ["-o", f"StrictHostKeyChecking={STRICT_HOST_KEY_CHECKING[ssh.verify_host_key]}"]
    if ssh.user_known_hosts_file != Ssh.user_known_hosts_file:
        args += ["-o", f"UserKnownHostsFile={ssh.user_known_hosts_file}"]
    if ssh.global_known_hosts_file != Ssh.global_known_hosts_file:
        args += ["-o", f"GlobalKnownHostsFile={ssh.global_known_hosts_file}"]
    return [*args, "-o", f"ConnectTimeout={max(1, round(ssh.connect_timeout))}"]


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
    """``ssh [-t] -p PORT [-i KEY...] [proxy] -o StrictHostKeyChecking=... USER@HOST CMD``.

    An argv (no local shell): ``remote_command`` is one argument, run by the remote shell.
    """
    return [
        "ssh",
        *(["-t"] if tty else []),
        "-p",
        str(ssh.port),
        *key_args(ssh),
        *proxy_args(ssh),
        *host_key_args(ssh),
        f"{ssh.user}@{host}",
        remote_command,
    ]


def interruptible(command: str) -> str:
    """``trap 'exit 130' INT; COMMAND``: a Ctrl-C typed into the remote terminal ends the
    command and the session with status 130 (not killed by a signal, which ssh reports as 255).
    """
    return f"trap 'exit 130' INT; {command}"
