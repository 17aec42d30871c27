"""The audit log on each host: one tagged line per notable action."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from kamal_tasks.commands.base import (
    Raw,
    combine,
    join,
    make_directory,
    single_quote,
    utc_timestamp,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config


def line(tags: list[str | None], message: str) -> str:
    """``[TAG] [TAG] "message"`` (absent tags left out)."""
    return " ".join([*(f"[{tag}]" for tag in tags if tag), f'"{message}"'])


def record(
    config: Config,
    message: str,
    *,
    performer: str,
    at: datetime,
    role: str | None = None,
) -> str:
    """Append ``[TIME] [performer] [destination] [role] "message"`` (absent tags left out) to
    ``.kamal/<service>[-<dest>]-audit.log``.

    ``echo '<line>'``; a line holding a backslash is written with ``printf '%s\\n'``
    instead, since dash's ``echo`` would interpret it.
    """
    entry = line([utc_timestamp(at), performer, config.destination, role], message)
    writer = ["printf", single_quote("%s\\n")] if "\\" in entry else "echo"
    return combine(
        make_directory(config.run_directory),
        join(writer, single_quote(entry), Raw(">>"), config.audit_log),
    )


def reveal(config: Config, lines: int = 50) -> str:
    """``tail -n <lines>`` of the audit log."""
    return join("tail", "-n", lines, config.audit_log)
