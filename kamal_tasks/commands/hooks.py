"""The ``KAMAL_*`` environment a hook runs with."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from kamal_tasks.commands.base import utc_timestamp

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config


def abbreviated_version(version: str) -> str:
    """The first 7 characters of a version; versions with a ``_`` (``<sha>_uncommitted_<hex>``)
    are kept whole, as Kamal does."""
    return version if "_" in version else version[:7]


def env(
    config: Config,
    *,
    command: str,
    performer: str,
    recorded_at: datetime,
    subcommand: str | None = None,
    hosts: Iterable[str] | None = None,
    runtime: float | None = None,
) -> dict[str, str]:
    """``KAMAL_RECORDED_AT``, ``_PERFORMER``, ``_VERSION``, ``_SERVICE_VERSION``, ``_SERVICE``,
    ``_HOSTS``, ``_COMMAND``, ``_SUBCOMMAND`` ("" when none), then ``_DESTINATION`` and
    ``_RUNTIME`` only when set.

    ``hosts`` defaults to the selected hosts; ``runtime`` (seconds) is rounded to a whole
    number.
    """
    values = {
        "KAMAL_RECORDED_AT": utc_timestamp(recorded_at),
        "KAMAL_PERFORMER": performer,
        "KAMAL_VERSION": config.version,
        "KAMAL_SERVICE_VERSION": f"{config.service}@{abbreviated_version(config.version)}",
        "KAMAL_SERVICE": config.service,
        "KAMAL_HOSTS": ",".join(config.hosts if hosts is None else hosts),
        "KAMAL_COMMAND": command,
        "KAMAL_SUBCOMMAND": subcommand or "",
        "KAMAL_DESTINATION": config.destination,
        "KAMAL_RUNTIME": None if runtime is None else str(round(runtime)),
    }
    return {key: value for key, value in values.items() if value is not None}
