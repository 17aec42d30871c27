"""Env: clear values (on ``docker run``) and secret names (only in env files on the hosts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.validators import (
    ArrayOf,
    HashOf,
    Validator,
    errors_at,
    invalid,
    raise_all,
    string,
    unknown_keys_message,
)
from kamal_tasks.errors import MissingSecret
from kamal_tasks.scalars import text


@dataclass(frozen=True)
class Env:
    """Clear key/values and the names of secret keys, in definition order."""

    clear: dict[str, str] = field(default_factory=dict)
    secret_keys: tuple[str, ...] = ()

    @classmethod
    def from_raw(cls, raw: Any) -> Env:
        """Build from a flat mapping (all clear) or a ``clear``/``secret`` mapping."""
        if not raw:
            return cls()
        if "clear" in raw or "secret" in raw:
            clear, secret = raw.get("clear") or {}, raw.get("secret") or []
        else:
            clear = {k: v for k, v in raw.items() if k != "tags"}
            secret = []
        return cls({str(k): text(v) for k, v in clear.items()}, tuple(secret))

    def merge(self, other: Env) -> Env:
        """This env with ``other``'s values added (``other`` wins on clear keys)."""
        secrets = self.secret_keys + tuple(
            k for k in other.secret_keys if k not in self.secret_keys
        )
        return Env({**self.clear, **other.clear}, secrets)

    def secrets(self, values: Mapping[str, str]) -> dict[str, str]:
        """Resolve each secret key in ``values``; raise ``MissingSecret`` for the first absent."""
        missing = [key for key in self.secret_keys if key not in values]
        if missing:
            raise MissingSecret(missing[0])
        return {key: values[key] for key in self.secret_keys}


def tag_envs(raw_config: Mapping[str, Any]) -> dict[str, Env]:
    """Env per host tag, from ``env: tags:`` or the seed's root-level ``env_tags:``."""
    raw_env = raw_config.get("env")
    tags = dict(raw_env.get("tags") or {}) if isinstance(raw_env, Mapping) else {}
    tags.update(raw_config.get("env_tags") or {})
    return {str(name): Env.from_raw(value) for name, value in tags.items()}


# --- schema --------------------------------------------------------------------------------------
ENV_KEYS = ("clear", "secret", "tags")


class EnvSchema:
    """An env: a flat mapping of clear values, or ``clear``/``secret``/``tags``.

    ``tags`` (tag -> env, flat or clear/secret) are allowed only in the root env.
    """

    def __init__(self, *, root: bool) -> None:
        self.root = root
        self.fields: dict[str, Validator] = {"clear": HashOf(string), "secret": ArrayOf(string)}
        if root:
            self.fields["tags"] = HashOf(EnvSchema(root=False))

    def __call__(self, value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise invalid("should be a hash")
        if not any(key in ENV_KEYS for key in value):
            return HashOf(string)(value)
        unknown = [key for key in value if key not in ENV_KEYS]
        errors = [invalid(unknown_keys_message(unknown))] if unknown else []
        for key, check in self.fields.items():
            if key in value:
                errors += errors_at(check, value[key], [key])
        if "tags" in value and not self.root:
            errors.append(invalid("tags are only allowed in the root env"))
        raise_all(errors)
        return value


#: The env of a role, accessory, traefik or tag: no ``tags`` of its own.
NESTED_ENV = EnvSchema(root=False)


ROOT_ENV = EnvSchema(root=True)
