"""The ``builder`` section: native ``docker build`` or buildx (multiarch, remote, cache)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kamal_tasks.configuration.validators import (
    ArrayOf,
    HashOf,
    Section,
    boolean,
    invalid,
    one_of,
    string,
)
from kamal_tasks.scalars import optional_text, section_of, text

CACHE_TYPES = ("gha", "registry")


def architecture(value: Any) -> Any:
    """One platform (``amd64``) or a list of them."""
    if isinstance(value, list):
        return ArrayOf(string)(value)
    if isinstance(value, str):
        return value
    raise invalid("should be a string or an array")


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


@dataclass(frozen=True)
class Builder:
    """How images are built: native ``docker build`` or buildx (multiarch, remote, cache)."""

    multiarch: bool = True
    local_arch: str | None = None
    local_host: str | None = None
    remote_arch: str | None = None
    remote_host: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    context: str = "."
    dockerfile: str = "Dockerfile"
    target: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    ssh: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Builder:
        section = section_of(raw, "builder", cls)
        local, remote = section.get("local") or {}, section.get("remote") or {}
        return cls(
            multiarch=section["multiarch"],
            local_arch=_arch(local.get("arch")),
            local_host=optional_text(local.get("host")),
            remote_arch=_arch(remote.get("arch")),
            remote_host=optional_text(remote.get("host")),
            cache={key: text(value) for key, value in (section.get("cache") or {}).items()},
            context=text(section["context"]),
            dockerfile=text(section["dockerfile"]),
            target=optional_text(section.get("target")),
            args=dict(section.get("args") or {}),
            secrets=tuple(map(text, section.get("secrets") or ())),
            ssh=optional_text(section.get("ssh")),
        )

    @property
    def kind(self) -> str:
        """Kamal's builder choice: native, native_cached, native_remote, multiarch_remote or
        multiarch."""
        if not self.multiarch and not self.cache:
            return "native"
        if self.cache and not self.multiarch:
            return "native_cached"
        if self.local_arch and self.remote_arch:
            return "multiarch_remote"
        if self.remote_arch:
            return "native_remote"
        return "multiarch"


def _arch(value: Any) -> str | None:
    """A platform, or a list of them joined with commas (as docker's ``--platform`` takes)."""
    if isinstance(value, list):
        return ",".join(map(text, value))
    return optional_text(value)
