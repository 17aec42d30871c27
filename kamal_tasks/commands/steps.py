"""Steps of several commands that run as one remote command (one round trip), where the
flow would not branch on their output anyway: the branch, if any, runs on the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import app, builder, lock, prune
from kamal_tasks.commands.base import Raw, chain, combine, join, subshell, substitution

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config, Role

#: The first line printed when a clashing container was renamed.
RENAMED_MARK = "kamal-renamed"


def rename_clash_then_running_names(
    config: Config, role: Role, version: str, renamed: str, audit: str
) -> Raw:
    """When a container for ``version`` exists, print ``RENAMED_MARK``, record ``audit`` and
    rename it to ``renamed``; then print the names of the role's running containers, newest
    (the current one) first, the stale ones after it."""
    exists = substitution(app.container_id_for_version(config, role, version))
    rename = combine(
        join("echo", RENAMED_MARK),
        audit,
        app.rename(config, role, version=version, new_version=renamed),
    )
    return subshell(
        Raw(
            f'if [ -n "{exists}" ]; then {rename} || exit 1; fi; '
            f"{app.running_container_names(config, role)}"
        )
    )


def take_lock(config: Config, details_text: str) -> Raw:
    """``mkdir -p`` the locks directory, then take the lock (fails when it is held)."""
    return combine(lock.ensure_locks_directory(config), lock.acquire(config, details_text))


def pull_and_check(config: Config) -> Raw:
    """Pull the image, then check it carries the ``service`` label (only once pulled)."""
    return combine(builder.pull(config), subshell(builder.validate_image(config)))


def prune_all(config: Config, retain: int) -> Raw:
    """Old stopped containers (keeping ``retain``), dangling images, then tagged images no
    container uses: each runs whatever the previous one did."""
    return chain(
        prune.stopped_containers(config, retain=retain),
        prune.dangling_images(config),
        prune.tagged_images(config),
    )
