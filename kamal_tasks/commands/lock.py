"""The deploy lock: a directory on the primary host (``mkdir`` is atomic) holding a
base64-encoded details file saying who holds it, since when, for which version and why."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING

from kamal_tasks.commands.base import (
    Raw,
    any_of,
    chain,
    combine,
    join,
    make_directory,
    pipe,
    quote,
    subshell,
    utc_timestamp,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config


def locks_directory(config: Config) -> str:
    """``.kamal/locks``: the parent of every lock directory."""
    return config.run_path("locks")


def details_file(config: Config) -> str:
    """``.kamal/locks/<service>[-<dest>]/details``."""
    return f"{config.lock_dir}/details"


def ensure_locks_directory(config: Config) -> str:
    """``mkdir -p .kamal/locks``: run before ``acquire``."""
    return make_directory(locks_directory(config))


def details(
    config: Config,
    *,
    message: str | None,
    performer: str,
    at: datetime,
    version: str | None = None,
) -> str:
    """The text stored in the lock: ``Locked by: NAME at TIME\\nVersion: V\\nMessage: MSG``."""
    return (
        f"Locked by: {performer} at {utc_timestamp(at)}\n"
        f"Version: {version or config.version}\n"
        f"Message: {message or ''}"
    )


def acquire(config: Config, details_text: str) -> str:
    """Create the lock directory (fails when it exists) and write the base64 details; when
    the details cannot be written, the directory just made goes again (no ownerless lock)."""
    encoded = base64.b64encode(details_text.encode()).decode()
    return combine(
        join("mkdir", config.lock_dir),
        subshell(
            any_of(
                join("echo", quote(encoded), Raw(">"), details_file(config)),
                subshell(chain(join("rm", "-rf", config.lock_dir), Raw("false"))),
            )
        ),
    )


def release(config: Config) -> str:
    """Remove the details file and the lock directory."""
    return combine(join("rm", details_file(config)), join("rm", "-r", config.lock_dir))


def status(config: Config) -> str:
    """Fail when there is no lock; otherwise print its decoded details."""
    return combine(
        join("stat", config.lock_dir, Raw("> /dev/null")),
        pipe(join("cat", details_file(config)), join("base64", "-d")),
    )
