"""YAML scalars as text: one rule for the configuration and the command builders alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any


def text(value: Any) -> str:
    """A scalar as the string YAML wrote (a number or boolean is accepted where Kamal expects a
    string): ``True`` -> ``"true"``, ``8`` -> ``"8"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def optional_text(value: Any) -> str | None:
    """``text(value)``, or None for None."""
    return None if value is None else text(value)


def section_of(raw: Mapping[str, Any], key: str, typed: type | None = None) -> dict[str, Any]:
    """The mapping at ``raw[key]`` (empty when absent or null), over the field defaults of the
    dataclass ``typed`` when given: defaults are written once, on the dataclass."""
    return {**(defaults(typed) if typed else {}), **(raw.get(key) or {})}


def defaults(typed: type) -> dict[str, Any]:
    """The default of each field of the dataclass ``typed`` (factories called)."""
    found: dict[str, Any] = {}
    for field in fields(typed):
        if field.default is not MISSING:
            found[field.name] = field.default
        elif field.default_factory is not MISSING:
            found[field.name] = field.default_factory()
    return found
