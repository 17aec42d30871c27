"""The root section (``configuration``): the top-level keys; every documented section's schema."""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

import kamal_tasks
from kamal_tasks.configuration.accessory import ACCESSORY
from kamal_tasks.configuration.alias import aliases
from kamal_tasks.configuration.boot import BOOT
from kamal_tasks.configuration.builder import BUILDER
from kamal_tasks.configuration.env import NESTED_ENV, ROOT_ENV
from kamal_tasks.configuration.healthcheck import HEALTHCHECK
from kamal_tasks.configuration.logging import LOGGING
from kamal_tasks.configuration.registry import REGISTRY
from kamal_tasks.configuration.role import servers
from kamal_tasks.configuration.sections import SECTION_SCHEMA_PATHS
from kamal_tasks.configuration.ssh import SSH
from kamal_tasks.configuration.sshkit import SSHKIT
from kamal_tasks.configuration.traefik import TRAEFIK
from kamal_tasks.configuration.validators import (
    SERVICE_PATTERN,
    ArrayOf,
    HashOf,
    Section,
    Validator,
    at_least,
    boolean,
    invalid,
    matches,
    name,
    string,
)


def service_name(value: Any) -> str:
    """The service name: lower-case letters, digits, ``_`` and ``-``."""
    if not isinstance(string(value), str) or not matches(SERVICE_PATTERN, value):
        raise invalid(f"should match {SERVICE_PATTERN}")
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
        raise invalid("should be a version number like 1.2.3")
    implemented = kamal_tasks.KAMAL_COMPATIBILITY
    if version_parts(implemented) < version_parts(required):
        raise invalid(
            f"the file needs Kamal {required}; kamal-tasks implements Kamal {implemented}"
        )
    return value


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


#: The schema each documented section (``docs/<section>.yml``) describes, in ``SECTIONS`` order.
SECTION_SCHEMAS: dict[str, Validator] = {
    section: getattr(import_module(f"kamal_tasks.configuration.{module}"), attribute)
    for section, (module, attribute) in SECTION_SCHEMA_PATHS.items()
}
