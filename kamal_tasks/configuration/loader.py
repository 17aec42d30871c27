"""Reading ``config/deploy.yml`` and merging ``deploy.<destination>.yml`` over it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kamal_tasks.configuration import erb
from kamal_tasks.errors import ConfigurationError


def destination_path(config_file: Path, destination: str) -> Path:
    """``config/deploy.yml`` + ``staging`` -> ``config/deploy.staging.yml``."""
    return config_file.with_name(f"{config_file.stem}.{destination}{config_file.suffix}")


def read_yaml(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Render one file's ERB against ``env`` (default: the process environment), then parse
    its YAML into a mapping, reporting problems as configuration errors."""
    import yaml

    if not path.exists():
        raise ConfigurationError([f"Configuration file not found: {path}"])
    text = erb.render(path.read_text(), os.environ if env is None else env, path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ConfigurationError([f"{path}: invalid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise ConfigurationError([f"{path}: should be a hash at the top level"])
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings merge key by key, anything else replaces.

    Kamal's rule (ActiveSupport's ``Hash#deep_merge``): lists and ``null`` replace, and so do a
    mapping and a non-mapping each other. Invoke's ``merge_dicts`` agrees except on that last
    case, where it raises ``AmbiguousMergeError`` (e.g. a destination's ``servers:`` list over
    the base's mapping of roles), and it mutates its base: so it does not serve here.
    """
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_raw(
    config_file: Path, destination: str | None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The effective raw configuration: the base file with the destination's file merged over.

    ``env`` is what ERB's ``ENV`` reads (the process environment plus ``.kamal/.env``).
    """
    from kamal_tasks.configuration.validation import check_destination

    check_destination(destination)
    raw = read_yaml(config_file, env)
    if destination:
        raw = deep_merge(raw, read_yaml(destination_path(config_file, destination), env))
    elif raw.get("require_destination"):
        raise ConfigurationError(["You must specify a destination (require_destination is set)"])
    return raw
