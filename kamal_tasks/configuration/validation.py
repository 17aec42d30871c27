"""Validate a raw (merged) configuration, reporting every problem at once.

Each section is checked by its voluptuous schema (in the section's module, mirroring the documented
example in ``docs/<section>.yml``): unknown keys and wrong types are errors. Rules that span
sections (roles without hosts, the primary role) run afterwards. Messages carry the
``/``-joined path from the root, e.g. ``servers/web/hosts/1: should be a string``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voluptuous import Invalid

from kamal_tasks.configuration.root import ROOT
from kamal_tasks.configuration.validators import NAME_PATTERN, errors_at, matches, shown_key
from kamal_tasks.errors import ConfigurationError
from kamal_tasks.scalars import text

#: voluptuous's own messages, should any reach us, in our wording.
VOLUPTUOUS_MESSAGES = {
    "extra keys not allowed": "unknown key",
    "required key not provided": "is required",
    "expected str": "should be a string",
    "expected int": "should be an integer",
    "expected bool": "should be a boolean",
    "expected a dictionary": "should be a hash",
    "expected a list": "should be an array",
}


def validate(raw: Any) -> list[str]:
    """Every error in ``raw`` (a merged config from YAML), in a deterministic order."""
    if not isinstance(raw, dict):
        return ["The configuration should be a hash"]
    errors = [error_message(error) for error in errors_at(ROOT, raw, [])]
    return errors + role_errors(raw)


def check(raw: Any) -> None:
    """Raise ``ConfigurationError`` listing every error in ``raw``, if there is any."""
    errors = validate(raw)
    if errors:
        raise ConfigurationError(errors)


def check_destination(destination: str | None) -> None:
    """Raise ``ConfigurationError`` naming ``--destination`` unless it is a plain name (it
    names files, containers, labels and the lock: ``-d a/b`` or ``-d ../x`` are refused)."""
    if destination and not matches(NAME_PATTERN, destination):
        raise ConfigurationError([f"--destination {destination!r}: should match {NAME_PATTERN}"])


def error_message(error: Invalid) -> str:
    """``path/to/key: message`` (just the message for the root)."""
    message = VOLUPTUOUS_MESSAGES.get(error.msg, error.msg)
    path = "/".join(shown_key(part) for part in error.path)
    return f"{path}: {message}" if path else message


def role_errors(raw: Mapping[str, Any]) -> list[str]:
    """The primary role must exist and have hosts; other roles need hosts too, unless allowed."""
    hosts_per_role = count_hosts(raw.get("servers"))
    primary = raw.get("primary_role", "web")
    if hosts_per_role is None or not isinstance(primary, str | int | float | bool):
        return []
    primary = text(primary)  # as ``Config.primary_role_name`` reads it
    errors = []
    if primary not in hosts_per_role:
        errors.append(f"The primary_role {shown_key(primary)} isn't defined")
    elif hosts_per_role[primary] == 0:
        errors.append(f"No servers specified for the {shown_key(primary)} primary_role")
    if raw.get("allow_empty_roles") is not True:
        errors += [
            f"No servers specified for the {shown_key(name)} role. "
            "You can ignore this with allow_empty_roles: true"
            for name, count in hosts_per_role.items()
            if count == 0 and name != primary
        ]
    return errors


def count_hosts(servers: Any) -> dict[str, int | None] | None:
    """Role name -> number of hosts (None if unreadable); a plain list is the ``web`` role.

    None when ``servers`` itself is neither a list nor a mapping.
    """
    if isinstance(servers, list):
        return {"web": len(servers)}
    if not isinstance(servers, dict):
        return None
    counts: dict[str, int | None] = {}
    for name, role in servers.items():
        hosts = role.get("hosts", []) if isinstance(role, dict) else role
        counts[str(name)] = len(hosts) if isinstance(hosts, list) else None
    return counts
