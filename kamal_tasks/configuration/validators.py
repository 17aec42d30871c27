"""The building blocks of every section's schema (each section module holds its own).

Every validator raises ``voluptuous.Invalid`` (or ``MultipleInvalid``) whose message is already
in Kamal's wording ("should be a string", "unknown keys: a, b", "is required") and whose path is
relative to the value it checked; nesting prepends the keys and indexes above it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voluptuous import Invalid, Schema

Validator = Callable[[Any], Any]


Rule = Callable[[Mapping[Any, Any]], "str | None"]


SERVICE_PATTERN = r"^[a-z0-9_-]+$"


#: Role and accessory names, an accessory's ``service`` and ``--destination``: they become
#: (parts of) container names, labels and paths, and never start with ``-`` (an option).
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"


def invalid(message: str, path: list[Any] | None = None) -> Invalid:
    """voluptuous's ``Invalid`` (voluptuous loads on first use: ``docs`` and ``--list`` never
    need it)."""
    from voluptuous import Invalid

    return Invalid(message, path)


def errors_at(validator: Validator, value: Any, path: list[Any]) -> list[Invalid]:
    """Run ``validator`` on ``value``; return its errors with ``path`` prepended (never raise)."""
    from voluptuous import Invalid, MultipleInvalid

    try:
        validator(value)
    except MultipleInvalid as multiple:
        for error in multiple.errors:
            error.prepend(path)
        return list(multiple.errors)
    except Invalid as error:
        error.prepend(path)
        return [error]
    return []


def raise_all(errors: list[Invalid]) -> None:
    """Raise every collected error at once, if there are any."""
    if errors:
        from voluptuous import MultipleInvalid

        raise MultipleInvalid(errors)


def unknown_keys_message(keys: Iterable[Any]) -> str:
    """``unknown key: a`` or ``unknown keys: a, b``."""
    names = [shown_key(key) for key in keys]
    return f"unknown key{'s' if len(names) > 1 else ''}: {', '.join(names)}"


def shown_key(key: Any) -> str:
    """A key as written; quoted when invisible or ambiguous in a path (``''``, ``'a/b'``)."""
    text = str(key)
    plain = text.isprintable() and text.strip() == text != "" and not set(text) & set(",:/'\"")
    return text if plain else repr(text)


def is_extension(key: Any) -> bool:
    """Keys starting ``x-`` hold YAML anchors; they are allowed at the root only."""
    return isinstance(key, str) and key.startswith("x-")


def string(value: Any) -> Any:
    """A string; like Kamal, numbers and booleans are accepted where a string is expected."""
    if isinstance(value, str | int | float | bool):
        return value
    raise invalid("should be a string")


def strict_string(value: Any) -> str:
    """A string and nothing else (host names, tags)."""
    if isinstance(value, str):
        return value
    raise invalid("should be a string")


def integer(value: Any) -> int:
    """An integer (a boolean is not one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise invalid("should be an integer")


def port_number(value: Any) -> Any:
    """A TCP port, 1-65535: an integer, or a string of ASCII digits such as ``"2222"``."""
    number = int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]+", value) else value
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
        raise invalid("should be a port number (1-65535)")
    return value


def number(value: Any) -> Any:
    """An integer or a decimal number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise invalid("should be a number")


def seconds(value: Any) -> Any:
    """A number of seconds, 0 or more."""
    if number(value) < 0:
        raise invalid("should be at least 0")
    return value


MAX_SECONDS = 1_000_000


def positive_number(value: Any) -> Any:
    """A number of seconds greater than zero (and at most ``MAX_SECONDS``: about 11 days)."""
    if not number(value) > 0:  # NaN too
        raise invalid("should be greater than 0")
    if value > MAX_SECONDS:
        raise invalid(f"should be at most {MAX_SECONDS}")
    return value


def boolean(value: Any) -> bool:
    """``true`` or ``false``."""
    if isinstance(value, bool):
        return value
    raise invalid("should be a boolean")


def hash_of_anything(value: Any) -> dict[Any, Any]:
    """A mapping whose values are passed through (docker ``options``, traefik ``args``)."""
    if isinstance(value, dict):
        return value
    raise invalid("should be a hash")


def one_of(*choices: str) -> Validator:
    """A string from a fixed list."""

    def validate(value: Any) -> Any:
        if value in choices:
            return value
        raise invalid(f"should be one of {', '.join(choices)}")

    return validate


def at_least(minimum: int) -> Validator:
    """An integer no smaller than ``minimum``."""

    def validate(value: Any) -> int:
        if integer(value) < minimum:
            raise invalid(f"should be at least {minimum}")
        return value

    return validate


def matches(pattern: str, value: str) -> bool:
    """Whether all of ``value`` matches ``^...$`` ``pattern`` (no trailing newline let through)."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value) is not None


def name(what: str = "") -> Validator:
    """A name matching ``NAME_PATTERN``; ``what`` says which (``role name``), for keys."""
    prefix = f"{what} " if what else ""

    def validate(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise invalid(f"{prefix}should be a string")
        if not matches(NAME_PATTERN, str(value)):
            raise invalid(f"{prefix}should match {NAME_PATTERN}")
        return value

    return validate


def command_line(value: Any) -> Any:
    """A command line (``cmd``): a string a shell could split into words (quotes closed)."""
    import shlex

    string(value)
    try:
        shlex.split(str(value))
    except ValueError as error:
        raise invalid(f"can't be split into words ({str(error).lower()})") from None
    return value


class ArrayOf:
    """A list whose every item passes ``item``; each bad item is reported at its index."""

    def __init__(self, item: Validator) -> None:
        self.item = item

    def __call__(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise invalid("should be an array")
        errors: list[Invalid] = []
        for index, entry in enumerate(value):
            errors += errors_at(self.item, entry, [index])
        raise_all(errors)
        return value


class HashOf:
    """A mapping with free-form keys whose every value passes ``item`` (and every key
    ``keys``, when given: a bad key is reported at its own path)."""

    def __init__(self, item: Validator, keys: Validator | None = None) -> None:
        self.item = item
        self.keys = keys

    def __call__(self, value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise invalid("should be a hash")
        errors: list[Invalid] = []
        for key, entry in value.items():
            if self.keys is not None:
                errors += errors_at(self.keys, key, [key])
            errors += errors_at(self.item, entry, [key])
        raise_all(errors)
        return value


class Section:
    """A mapping with known keys, checked by a voluptuous ``Schema``.

    Reports, in order: unknown keys (one error), each field's errors in the order the keys
    appear, missing ``required`` keys, then the messages of any ``rules`` that fail.
    ``extensions`` allows ``x-`` keys (the root only).
    """

    def __init__(
        self,
        fields: dict[str, Validator],
        *,
        required: tuple[str, ...] = (),
        rules: tuple[Rule, ...] = (),
        extensions: bool = False,
    ) -> None:
        self.fields = fields
        self.required = required
        self.rules = rules
        self.extensions = extensions

    @cached_property
    def schema(self) -> Schema:
        """The voluptuous schema of the known keys (built on first use)."""
        from voluptuous import Optional, Schema

        return Schema({Optional(key): check for key, check in self.fields.items()})

    def __call__(self, value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise invalid("should be a hash")
        errors = self.unknown_key_errors(value)
        known = {key: entry for key, entry in value.items() if key in self.fields}
        errors += errors_at(self.schema, known, [])
        errors += [invalid("is required", [key]) for key in self.required if key not in value]
        errors += [invalid(message) for rule in self.rules if (message := rule(value))]
        raise_all(errors)
        return value

    def unknown_key_errors(self, value: dict[Any, Any]) -> list[Invalid]:
        unknown = [
            key
            for key in value
            if key not in self.fields and not (self.extensions and is_extension(key))
        ]
        return [invalid(unknown_keys_message(unknown))] if unknown else []
