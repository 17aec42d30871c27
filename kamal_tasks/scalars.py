"""YAML scalars as text: one rule for the configuration and the command builders alike."""

from __future__ import annotations

from collections.abc import Mapping
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


def section_of(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The mapping at ``raw[key]`` (empty when absent or null)."""
    return dict(raw.get(key) or {})
