"""Reading ``config/deploy.yml`` and merging ``deploy.<destination>.yml`` over it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kamal_tasks.errors import ConfigurationError


def destination_path(config_file: Path, destination: str) -> Path:
    """``config/deploy.yml`` + ``staging`` -> ``config/deploy.staging.yml``."""
    return config_file.with_name(f"{config_file.stem}.{destination}{config_file.suffix}")


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML file into a mapping, reporting problems as configuration errors."""
    import yaml

    if not path.exists():
        raise ConfigurationError([f"Configuration file not found: {path}"])
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigurationError([f"{path}: invalid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise ConfigurationError([f"{path}: should be a hash at the top level"])
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_raw(config_file: Path, destination: str | None) -> dict[str, Any]:
    """The effective raw configuration: the base file with the destination's file merged over."""
    from kamal_tasks.configuration.validation import check_destination

    check_destination(destination)
    raw = read_yaml(config_file)
    if destination:
        raw = deep_merge(raw, read_yaml(destination_path(config_file, destination)))
    elif raw.get("require_destination"):
        raise ConfigurationError(["You must specify a destination"])
    return raw
