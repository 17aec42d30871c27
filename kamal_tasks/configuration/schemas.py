"""Voluptuous schemas, one per configuration section, mirroring ``docs/<section>.yml``.

Every validator raises ``voluptuous.Invalid`` (or ``MultipleInvalid``) whose message is already
in Kamal's wording ("should be a string", "unknown keys: a, b", "is required") and whose path is
relative to the value it checked; nesting prepends the keys and indexes above it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from voluptuous import Invalid, MultipleInvalid, Optional, Schema

import kamal_tasks

Validator = Callable[[Any], Any]
Rule = Callable[[Mapping[Any, Any]], "str | None"]

SERVICE_PATTERN = r"^[a-z0-9_-]+$"
#: Role and accessory names, an accessory's ``service`` and ``--destination``: they become
#: (parts of) container names, labels and paths, and never start with ``-`` (an option).
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"
CACHE_TYPES = ("gha", "registry")


# --- collecting errors --------------------------------------------------------------------
def errors_at(validator: Validator, value: Any, path: list[Any]) -> list[Invalid]:
    """Run ``validator`` on ``value``; return its errors with ``path`` prepended (never raise)."""
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


# --- scalar types -------------------------------------------------------------------------
def string(value: Any) -> Any:
    """A string; like Kamal, numbers and booleans are accepted where a string is expected."""
    if isinstance(value, str | int | float | bool):
        return value
    raise Invalid("should be a string")


def strict_string(value: Any) -> str:
    """A string and nothing else (host names, tags)."""
    if isinstance(value, str):
        return value
    raise Invalid("should be a string")


def integer(value: Any) -> int:
    """An integer (a boolean is not one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Invalid("should be an integer")


def port_number(value: Any) -> Any:
    """A TCP port, 1-65535: an integer, or a string of ASCII digits such as ``"2222"``."""
    number = int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]+", value) else value
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
        raise Invalid("should be a port number (1-65535)")
    return value


def number(value: Any) -> Any:
    """An integer or a decimal number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise Invalid("should be a number")


def seconds(value: Any) -> Any:
    """A number of seconds, 0 or more."""
    if number(value) < 0:
        raise Invalid("should be at least 0")
    return value


MAX_SECONDS = 1_000_000


def positive_number(value: Any) -> Any:
    """A number of seconds greater than zero (and at most ``MAX_SECONDS``: about 11 days)."""
    if not number(value) > 0:  # NaN too
        raise Invalid("should be greater than 0")
    if value > MAX_SECONDS:
        raise Invalid(f"should be at most {MAX_SECONDS}")
    return value


def boolean(value: Any) -> bool:
    """``true`` or ``false``."""
    if isinstance(value, bool):
        return value
    raise Invalid("should be a boolean")


def hash_of_anything(value: Any) -> dict[Any, Any]:
    """A mapping whose values are passed through (docker ``options``, traefik ``args``)."""
    if isinstance(value, dict):
        return value
    raise Invalid("should be a hash")


def one_of(*choices: str) -> Validator:
    """A string from a fixed list."""

    def validate(value: Any) -> Any:
        if value in choices:
            return value
        raise Invalid(f"should be one of {', '.join(choices)}")

    return validate


def at_least(minimum: int) -> Validator:
    """An integer no smaller than ``minimum``."""

    def validate(value: Any) -> int:
        if integer(value) < minimum:
            raise Invalid(f"should be at least {minimum}")
        return value

    return validate


def matches(pattern: str, value: str) -> bool:
    """Whether all of ``value`` matches ``^...$`` ``pattern`` (no trailing newline let through)."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value) is not None


def service_name(value: Any) -> str:
    """The service name: lower-case letters, digits, ``_`` and ``-``."""
    if not isinstance(string(value), str) or not matches(SERVICE_PATTERN, value):
        raise Invalid(f"should match {SERVICE_PATTERN}")
    return value


def name(what: str = "") -> Validator:
    """A name matching ``NAME_PATTERN``; ``what`` says which (``role name``), for keys."""
    prefix = f"{what} " if what else ""

    def validate(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise Invalid(f"{prefix}should be a string")
        if not matches(NAME_PATTERN, str(value)):
            raise Invalid(f"{prefix}should match {NAME_PATTERN}")
        return value

    return validate


def command_line(value: Any) -> Any:
    """A command line (``cmd``): a string a shell could split into words (quotes closed)."""
    import shlex

    string(value)
    try:
        shlex.split(str(value))
    except ValueError as error:
        raise Invalid(f"can't be split into words ({str(error).lower()})") from None
    return value


def version_parts(version: str) -> tuple[int, ...]:
    """``"1.10.2"`` -> ``(1, 10, 2)``; trailing zeros dropped so 1.0 == 1."""
    parts = [int(part) for part in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def minimum_version(value: Any) -> Any:
    """The oldest Kamal version whose features the file needs, compared numerically with the
    Kamal version kamal-tasks implements (``KAMAL_COMPATIBILITY``)."""
    required = str(string(value))
    if not re.fullmatch(r"\d+(\.\d+)*", required):
        raise Invalid("should be a version number like 1.2.3")
    implemented = kamal_tasks.KAMAL_COMPATIBILITY
    if version_parts(implemented) < version_parts(required):
        raise Invalid(
            f"the file needs Kamal {required}; kamal-tasks implements Kamal {implemented}"
        )
    return value


def boot_limit(value: Any) -> Any:
    """A number of hosts (at least 1), or a percentage of them like ``"25%"`` (1-100%)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value):
        if not 1 <= int(value[:-1]) <= 100:
            raise Invalid("should be a percentage from 1% to 100%")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return at_least(1)(value)
    raise Invalid('should be an integer or a percentage like "25%"')


def registry_credential(value: Any) -> Any:
    """A literal string, or ``[ENV_NAME]``: a one-item list naming the env variable to read."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value
    raise Invalid("should be a string or an array with one env variable name")


# --- containers ---------------------------------------------------------------------------
class ArrayOf:
    """A list whose every item passes ``item``; each bad item is reported at its index."""

    def __init__(self, item: Validator) -> None:
        self.item = item

    def __call__(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid("should be an array")
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
            raise Invalid("should be a hash")
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
        self.schema = Schema({Optional(key): check for key, check in fields.items()})

    def __call__(self, value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise Invalid("should be a hash")
        errors = self.unknown_key_errors(value)
        known = {key: entry for key, entry in value.items() if key in self.fields}
        errors += errors_at(self.schema, known, [])
        errors += [Invalid("is required", [key]) for key in self.required if key not in value]
        errors += [Invalid(message) for rule in self.rules if (message := rule(value))]
        raise_all(errors)
        return value

    def unknown_key_errors(self, value: dict[Any, Any]) -> list[Invalid]:
        unknown = [
            key
            for key in value
            if key not in self.fields and not (self.extensions and is_extension(key))
        ]
        return [Invalid(unknown_keys_message(unknown))] if unknown else []


# --- env ----------------------------------------------------------------------------------
ENV_KEYS = ("clear", "secret", "tags")


class Env:
    """An env: a flat mapping of clear values, or ``clear``/``secret``/``tags``.

    ``tags`` (tag -> env, flat or clear/secret) are allowed only in the root env.
    """

    def __init__(self, *, root: bool) -> None:
        self.root = root
        self.fields: dict[str, Validator] = {"clear": HashOf(string), "secret": ArrayOf(string)}
        if root:
            self.fields["tags"] = HashOf(Env(root=False))

    def __call__(self, value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise Invalid("should be a hash")
        if not any(key in ENV_KEYS for key in value):
            return HashOf(string)(value)
        unknown = [key for key in value if key not in ENV_KEYS]
        errors = [Invalid(unknown_keys_message(unknown))] if unknown else []
        for key, check in self.fields.items():
            if key in value:
                errors += errors_at(check, value[key], [key])
        if "tags" in value and not self.root:
            errors.append(Invalid("tags are only allowed in the root env"))
        raise_all(errors)
        return value


#: The env of a role, accessory, traefik or tag: no ``tags`` of its own.
NESTED_ENV = Env(root=False)
ROOT_ENV = Env(root=True)


# --- servers ------------------------------------------------------------------------------
def host_tags(value: Any) -> Any:
    """A host's tags: one tag, or a list of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ArrayOf(strict_string)(value)
    raise Invalid("should be a string or an array")


def host(value: Any) -> Any:
    """A host: ``1.1.1.1``, or a one-entry mapping ``1.1.1.1: tag`` / ``1.1.1.1: [tags]``."""
    if isinstance(value, dict):
        if len(value) != 1:
            raise Invalid("multiple hosts found")
        ((name, tags),) = value.items()
        raise_all(errors_at(host_tags, tags, [name]))
        return value
    return strict_string(value)


HOSTS = ArrayOf(host)

HEALTHCHECK = Section(
    {
        "cmd": string,
        "interval": string,
        "max_attempts": at_least(1),
        "port": port_number,
        "path": string,
        "cord": string,
        "log_lines": at_least(0),
        "traefik_route_delay": seconds,
        "traefik_notice_delay": seconds,
    }
)

LOGGING = Section({"driver": string, "options": hash_of_anything})

ROLE = Section(
    {
        "hosts": HOSTS,
        "traefik": boolean,
        "cmd": command_line,
        "options": hash_of_anything,
        "healthcheck": HEALTHCHECK,
        "logging": LOGGING,
        "labels": HashOf(string),
        "env": NESTED_ENV,
        "asset_path": string,
    }
)


def role(value: Any) -> Any:
    """A role: a list of hosts, or a mapping with ``hosts`` and role settings."""
    if isinstance(value, list):
        return HOSTS(value)
    if isinstance(value, dict):
        return ROLE(value)
    raise Invalid("should be an array or a hash")


def servers(value: Any) -> Any:
    """A list of hosts (the single ``web`` role), or a mapping of role name -> role."""
    if isinstance(value, list):
        return HOSTS(value)
    if isinstance(value, dict):
        return HashOf(role, keys=name("role name"))(value)
    raise Invalid("should be an array or a hash")


def aliases(value: Any) -> Any:
    """``name: task command line``: names like service names, not a task's; values naming a
    task (``app.exec -i --reuse "bin/rails console"`` or Kamal's ``app exec ...``)."""
    if not isinstance(value, dict):
        raise Invalid("should be a hash")
    from kamal_tasks.tasks.aliases import AliasError, builtin_task_names, resolve

    errors: list[Invalid] = []
    for name, command in value.items():
        if not isinstance(name, str) or not re.match(SERVICE_PATTERN, name):
            message = "Invalid alias name: can only contain lowercase letters, numbers, dashes and underscores"  # noqa: E501
            errors.append(Invalid(message, [name]))
        elif name in builtin_task_names() or name.replace("_", "-") in builtin_task_names():
            errors.append(Invalid(f"Alias '{name}' conflicts with a built-in task", [name]))
        elif not isinstance(command, str) or not command.strip():
            errors.append(Invalid("should be a task command line", [name]))
        else:
            try:
                resolve(command)
            except AliasError as error:
                errors.append(Invalid(str(error), [name]))
    raise_all(errors)
    return value


# --- other sections -----------------------------------------------------------------------
REGISTRY = Section(
    {"server": string, "username": registry_credential, "password": registry_credential},
    required=("username", "password"),
)


def architecture(value: Any) -> Any:
    """One platform (``amd64``) or a list of them."""
    if isinstance(value, list):
        return ArrayOf(string)(value)
    if isinstance(value, str):
        return value
    raise Invalid("should be a string or an array")


BUILDER_HOST = Section({"arch": architecture, "host": string})

BUILDER = Section(
    {
        "multiarch": boolean,
        "local": BUILDER_HOST,
        "remote": BUILDER_HOST,
        "cache": Section({"type": one_of(*CACHE_TYPES), "options": string, "image": string}),
        "context": string,
        "dockerfile": string,
        "target": string,
        "args": HashOf(string),
        "secrets": ArrayOf(string),
        "ssh": string,
    }
)


def one_placement(accessory: Mapping[Any, Any]) -> str | None:
    """An accessory runs on exactly one of ``host``, ``hosts`` or ``roles``."""
    given = [key for key in ("host", "hosts", "roles") if key in accessory]
    return None if len(given) == 1 else "specify one of host, hosts or roles"


ACCESSORY = Section(
    {
        "service": name(),
        "image": string,
        "host": strict_string,
        "hosts": ArrayOf(strict_string),
        "roles": ArrayOf(strict_string),
        "cmd": command_line,
        "port": string,
        "labels": HashOf(string),
        "options": hash_of_anything,
        "env": NESTED_ENV,
        "files": ArrayOf(string),
        "directories": ArrayOf(string),
        "volumes": ArrayOf(string),
    },
    required=("image",),
    rules=(one_placement,),
)

TRAEFIK = Section(
    {
        "image": string,
        "host_port": port_number,
        "publish": boolean,
        "labels": HashOf(string),
        "args": hash_of_anything,
        "options": hash_of_anything,
        "env": NESTED_ENV,
    }
)

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

SSHKIT = Section(
    {
        "max_concurrent_starts": at_least(1),
        "pool_idle_timeout": at_least(1),
        "command_timeout": positive_number,
    }
)

BOOT = Section({"limit": boot_limit, "wait": seconds})

ROOT = Section(
    {
        "service": service_name,
        "image": string,
        "servers": servers,
        "registry": REGISTRY,
        "env": ROOT_ENV,
        "env_tags": HashOf(NESTED_ENV),
        "labels": HashOf(string),
        "volumes": ArrayOf(string),
        "asset_path": string,
        "hooks_path": string,
        "require_destination": boolean,
        "primary_role": string,
        "allow_empty_roles": boolean,
        "stop_wait_time": at_least(0),
        "retain_containers": at_least(1),
        "minimum_version": minimum_version,
        "readiness_delay": at_least(0),
        "run_directory": string,
        "ssh": SSH,
        "builder": BUILDER,
        "accessories": HashOf(ACCESSORY, keys=name("accessory name")),
        "traefik": TRAEFIK,
        "sshkit": SSHKIT,
        "boot": BOOT,
        "healthcheck": HEALTHCHECK,
        "logging": LOGGING,
        "aliases": aliases,
    },
    required=("service", "image", "servers", "registry"),
    extensions=True,
)

#: The schema each documented section (``docs/<section>.yml``) describes.
SECTION_SCHEMAS: dict[str, Validator] = {
    "configuration": ROOT,
    "servers": servers,
    "role": ROLE,
    "env": ROOT_ENV,
    "registry": REGISTRY,
    "builder": BUILDER,
    "accessory": ACCESSORY,
    "traefik": TRAEFIK,
    "healthcheck": HEALTHCHECK,
    "ssh": SSH,
    "sshkit": SSHKIT,
    "boot": BOOT,
    "logging": LOGGING,
    "alias": aliases,
}
