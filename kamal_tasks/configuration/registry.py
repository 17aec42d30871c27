"""The ``registry`` section: where images are pushed and pulled, and the login."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kamal_tasks.configuration.validators import Section, invalid, string
from kamal_tasks.errors import MissingSecret
from kamal_tasks.scalars import optional_text, section_of


def registry_credential(value: Any) -> Any:
    """A literal string, or ``[ENV_NAME]``: a one-item list naming the env variable to read."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value
    raise invalid("should be a string or an array with one env variable name")


REGISTRY = Section(
    {"server": string, "username": registry_credential, "password": registry_credential},
    required=("username", "password"),
)


@dataclass(frozen=True)
class Registry:
    """The image registry; ``username``/``password`` may name an env variable as a 1-item list."""

    server: str | None = None
    username: str | list[str] | None = None
    password: str | list[str] | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Registry:
        section = section_of(raw, "registry")
        return cls(optional_text(section.get("server")), *map(_credential, (
            section.get("username"), section.get("password"))))  # fmt: skip

    def resolved_username(self, values: Mapping[str, str]) -> str:
        """The username, reading the env variable when given as ``[NAME]``."""
        return _lookup(self.username, values)

    def resolved_password(self, values: Mapping[str, str]) -> str:
        """The password, reading the env variable when given as ``[NAME]``."""
        return _lookup(self.password, values)


def _credential(value: Any) -> str | list[str] | None:
    return value if isinstance(value, list) else optional_text(value)


def _lookup(value: str | list[str] | None, values: Mapping[str, str]) -> str:
    if isinstance(value, list):
        name = value[0]
        if name not in values:
            raise MissingSecret(name)
        return values[name]
    return value or ""
