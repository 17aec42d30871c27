"""Secret env files on the hosts: their content, paths, and the commands around them.

Docker reads ``--env-file`` line by line, takes everything after the first ``=`` literally
(no quotes, no escapes) and drops a trailing carriage return, so a value holding a newline
or carriage return cannot be written; ``MultilineSecret`` says which key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kamal_tasks.commands.base import Raw, combine, join, make_directory, subshell
from kamal_tasks.errors import MultilineSecret

if TYPE_CHECKING:
    from kamal_tasks.configuration import Accessory, Config, Role


def content(secrets: Mapping[str, str]) -> str:
    """``KEY=value`` lines, each ending in a newline, exactly as ``docker --env-file`` reads."""
    lines = []
    for key, value in secrets.items():
        if "\n" in value or "\r" in value:
            raise MultilineSecret(key)
        lines.append(f"{key}={value}\n")
    return "".join(lines)


def role_env_file(config: Config, role: Role) -> str:
    """``.kamal/env/roles/<service>-<role>[-<dest>].env``."""
    return config.run_path(role.env_file)


def accessory_env_file(config: Config, accessory: Accessory) -> str:
    """``.kamal/env/accessories/<accessory service>.env``."""
    return config.run_path(accessory.env_file)


def traefik_env_file(config: Config) -> str:
    """``.kamal/env/traefik/traefik.env``."""
    return config.traefik_env_file


def make_env_directory(path: str) -> str:
    """``mkdir -p`` of the directory holding the env file ``path``."""
    return make_directory(path.rpartition("/")[0] or ".")


def write(path: str) -> str:
    """Write standard input to ``path`` with mode 0400 from its first byte.

    The content goes into ``path.tmp``, created by ``cat`` under ``umask 0277`` (so 0400 at
    birth, never readable by others), then ``mv`` renames it over ``path`` in one atomic
    step, also over an existing 0400 file. The secrets travel on stdin, never in the command.
    """
    temp = f"{path}.tmp"
    return combine(
        make_env_directory(path),
        join("rm", "-f", temp),
        subshell(combine(join("umask", "0277"), join("cat", Raw(">"), temp))),
        join("mv", "-f", temp, path),
    )


def remove(path: str) -> str:
    """``rm -f path``."""
    return join("rm", "-f", path)


def exists(path: str) -> str:
    """``test -f path``: succeeds when the env file is there."""
    return join("test", "-f", path)
