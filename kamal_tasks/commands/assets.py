"""Asset bridging: extract a version's assets from its image, share old and new assets
through per-version volumes on the host, and clean up older versions' copies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands.base import (
    Raw,
    chain,
    combine,
    docker,
    join,
    make_directory,
    single_quote,
    volume_mapping,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config, Role


def extracted_path(config: Config, role: Role, version: str) -> str:
    """``.kamal/assets/extracted/<svc>-<role>-<version>``."""
    return config.run_path(f"assets/extracted/{role.container_name(version)}")


def volume_path(config: Config, role: Role, version: str) -> str:
    """``.kamal/assets/volumes/<svc>-<role>-<version>``: mounted over the asset path."""
    return config.run_path(f"assets/volumes/{role.container_name(version)}")


def volume_arg(config: Config, role: Role, version: str) -> str:
    """``--volume $(pwd)/<volume path>:<asset_path>`` ("" when the role has no asset path;
    no ``$(pwd)/`` for an absolute ``run_directory``)."""
    if not role.asset_path:
        return ""
    mapping = [volume_path(config, role, version), ":", role.asset_path]
    return join("--volume", volume_mapping(*mapping))


def container_name(role: Role) -> str:
    """The short-lived container assets are copied out of: ``<svc>-<role>-assets``."""
    return f"{role.container_prefix}-assets"


def extract(config: Config, role: Role, version: str | None = None) -> str:
    """Copy ``asset_path`` out of the version's image into its extracted directory."""
    version = version or config.version
    target = extracted_path(config, role, version)
    name = container_name(role)
    image = f"{config.repository}:{version}"
    return combine(
        make_directory(target),
        docker("stop", "-t", "1", name, Raw("2> /dev/null"), Raw("|| true")),
        docker("run", "--name", name, "--detach", "--rm", image, "sleep", "1000000"),
        docker("cp", "-L", f"{name}:{role.asset_path}/.", target),
        docker("stop", "-t", "1", name),
    )


def _copy_contents(source: str, destination: str, *, continue_on_error: bool = False) -> str:
    return join("cp", "-rnT", source, destination, Raw("|| true") if continue_on_error else None)


def sync_volumes(
    config: Config, role: Role, old_version: str | None = None, version: str | None = None
) -> str:
    """Fill the new version's volume; cross-copy new->old and old->new when there was one."""
    version = version or config.version
    new_extracted = extracted_path(config, role, version)
    new_volume = volume_path(config, role, version)
    commands = [make_directory(new_volume), _copy_contents(new_extracted, new_volume)]
    if old_version:
        old_extracted = extracted_path(config, role, old_version)
        old_volume = volume_path(config, role, old_version)
        commands.append(_copy_contents(new_extracted, old_volume, continue_on_error=True))
        commands.append(_copy_contents(old_extracted, new_volume, continue_on_error=True))
    return chain(*commands)


def _remove_older_siblings(path: str, prefix: str) -> str:
    parent, _, name = path.rpartition("/")
    return join(
        "find", parent, "-maxdepth", "1", "-name", single_quote(f"{prefix}-*"), Raw("!"),
        "-name", name, Raw('-exec rm -rf "{}" +'),
    )  # fmt: skip


def clean_up(config: Config, role: Role, version: str | None = None) -> str:
    """Delete other versions' extracted assets and volumes (older ones, at the next deploy)."""
    version = version or config.version
    return chain(
        _remove_older_siblings(extracted_path(config, role, version), role.container_prefix),
        _remove_older_siblings(volume_path(config, role, version), role.container_prefix),
    )
