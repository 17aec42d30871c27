"""The ``ssh`` section: how to reach the hosts (user, port, proxy, keys, host keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kamal_tasks.configuration.validators import (
    ArrayOf,
    Section,
    boolean,
    one_of,
    port_number,
    positive_number,
    strict_string,
    string,
)
from kamal_tasks.scalars import optional_text, section_of, text

SSH = Section(
    {
        "user": string,
        "port": port_number,
        "proxy": string,
        "proxy_command": string,
        "log_level": string,
        "keys_only": boolean,
        "keys": ArrayOf(string),
        "key_data": ArrayOf(string),
        "connect_timeout": positive_number,
        "verify_host_key": one_of("accept_new", "always", "never"),
        "user_known_hosts_file": strict_string,
        "global_known_hosts_file": strict_string,
    }
)


@dataclass(frozen=True)
class Ssh:
    """How to reach the hosts over SSH."""

    user: str = "root"
    port: int = 22
    proxy: str | None = None
    proxy_command: str | None = None
    keys_only: bool = False
    keys: tuple[str, ...] = ()
    key_data: tuple[str, ...] = ()
    log_level: str = "fatal"
    connect_timeout: float = 10
    verify_host_key: str = "accept_new"
    user_known_hosts_file: str = "~/.ssh/known_hosts"
    global_known_hosts_file: str = "/etc/ssh/ssh_known_hosts"

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Ssh:
        section = section_of(raw, "ssh", cls)
        proxy = optional_text(section.get("proxy"))
        if proxy and "@" not in proxy:
            proxy = f"root@{proxy}"
        return cls(
            user=text(section["user"]),
            port=int(section["port"]),
            proxy=proxy,
            proxy_command=optional_text(section["proxy_command"]),
            keys_only=bool(section["keys_only"]),
            keys=tuple(map(text, section["keys"] or ())),
            key_data=tuple(map(text, section["key_data"] or ())),
            log_level=text(section["log_level"]),
            connect_timeout=section["connect_timeout"],
            verify_host_key=section["verify_host_key"],
            user_known_hosts_file=str(section["user_known_hosts_file"]),
            global_known_hosts_file=str(section["global_known_hosts_file"]),
        )
