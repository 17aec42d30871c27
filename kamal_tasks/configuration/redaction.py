"""What ``inv config`` shows: the effective configuration, secrets hidden, plus derived facts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kamal_tasks.errors import KamalError

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config

REDACTED = "[REDACTED]"


def redacted(config: Config) -> dict[str, Any]:
    """The effective configuration with the registry password hidden, plus derived facts."""
    raw = {key: value for key, value in config.raw.items() if not key.startswith("x-")}
    if "registry" in raw:
        registry = dict(raw["registry"])
        if registry.get("password") is not None:
            registry["password"] = REDACTED
        raw["registry"] = registry
    if (raw.get("ssh") or {}).get("key_data"):
        raw["ssh"] = {**raw["ssh"], "key_data": [REDACTED for _ in raw["ssh"]["key_data"]]}
    try:
        version: dict[str, Any] = {
            "version": config.version, "absolute_image": config.absolute_image,
        }  # fmt: skip
    except KamalError:
        version = {"version": None}
    return {
        **raw,
        **version,
        "destination": config.destination,
        "primary_host": config.primary_host,
        "roles": {role.name: role.host_names for role in config.all_roles},
    }
