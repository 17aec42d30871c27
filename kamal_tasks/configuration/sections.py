"""The documented configuration sections, in one place: name -> where its schema lives.

Each name has an example ``docs/<name>.yml``; the schema is ``<module>.<attribute>`` under
``kamal_tasks.configuration``. Importing this module is cheap (plain strings): ``docs`` uses the
names, ``root`` resolves the schemas.
"""

from __future__ import annotations

#: Section name -> ``(module, attribute)`` of its schema, the root configuration first.
SECTION_SCHEMA_PATHS: dict[str, tuple[str, str]] = {
    "configuration": ("root", "ROOT"),
    "servers": ("role", "servers"),
    "role": ("role", "ROLE"),
    "env": ("env", "ROOT_ENV"),
    "registry": ("registry", "REGISTRY"),
    "builder": ("builder", "BUILDER"),
    "accessory": ("accessory", "ACCESSORY"),
    "traefik": ("traefik", "TRAEFIK"),
    "healthcheck": ("healthcheck", "HEALTHCHECK"),
    "ssh": ("ssh", "SSH"),
    "sshkit": ("sshkit", "SSHKIT"),
    "boot": ("boot", "BOOT"),
    "logging": ("logging", "LOGGING"),
    "alias": ("alias", "aliases"),
}

#: The documented sections, the root configuration first.
SECTIONS: tuple[str, ...] = tuple(SECTION_SCHEMA_PATHS)
