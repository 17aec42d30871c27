"""Reading ``config/deploy.yml`` and merging ``deploy.<destination>.yml`` over it.

YAML is read with limits, so a hostile or broken file ends in a configuration error naming
it instead of a hang or a traceback: text must be UTF-8, nesting at most ``MAX_DEPTH`` levels,
and the document, with every alias expanded, at most ``MAX_NODES`` values (an "alias bomb"
of a kilobyte can otherwise expand to billions).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kamal_tasks.configuration import erb
from kamal_tasks.errors import ConfigurationError

#: Deepest nesting of lists and mappings accepted (a real config is under 10 levels deep).
MAX_DEPTH = 64
#: Most values a document may hold once aliases are expanded (a real config holds hundreds).
MAX_NODES = 100_000


def destination_path(config_file: Path, destination: str) -> Path:
    """``config/deploy.yml`` + ``staging`` -> ``config/deploy.staging.yml``."""
    return config_file.with_name(f"{config_file.stem}.{destination}{config_file.suffix}")


def read_text(path: Path) -> str:
    """The file's text, or a configuration error naming it (missing, a directory, not UTF-8)."""
    if not path.exists():
        raise ConfigurationError([f"Configuration file not found: {path}"])
    if path.is_dir():
        raise ConfigurationError([f"Configuration file is a directory: {path}"])
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigurationError([f"Can't read {path}: {error.strerror}"]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigurationError([f"{path}: {not_utf8(data, error.start)}"]) from None


def not_utf8(data: bytes, start: int) -> str:
    """``not UTF-8 text: byte 0xff at line 3, column 7`` for the bad byte at ``start``."""
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    return f"not UTF-8 text: byte 0x{data[start]:02x} at line {line}, column {column}"


def parse_yaml(text: str) -> Any:
    """Parse YAML with the depth and expansion limits; raises ``yaml.YAMLError``."""

    loader = _limited_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Render one file's ERB against ``env`` (default: the process environment), then parse
    its YAML into a mapping, reporting problems as configuration errors."""
    import yaml

    text = erb.render(read_text(path), os.environ if env is None else env, path)
    try:
        data = parse_yaml(text) or {}
    except yaml.YAMLError as error:
        raise ConfigurationError([f"{path}: invalid YAML: {one_line(error)}"]) from None
    if not isinstance(data, dict):
        raise ConfigurationError([f"{path}: should be a hash at the top level"])
    return data


def one_line(error: Exception) -> str:
    """A YAML error on one line (PyYAML's spread over several, with a source excerpt)."""
    import yaml

    if isinstance(error, yaml.MarkedYAMLError):
        problem = error.problem or error.context or "invalid"
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return f"{problem}{where}"
    return " ".join(str(error).split())


def _limited_loader() -> type:
    """A ``SafeLoader`` that refuses nesting deeper than ``MAX_DEPTH``."""
    import yaml

    class LimitedLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise yaml.composer.ComposerError(
                        None, None, f"nested deeper than {MAX_DEPTH} levels",
                        self.peek_event().start_mark,
                    )  # fmt: skip
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return LimitedLoader


def _check_size(root: Any) -> None:
    """Refuse a composed document that expands to more than ``MAX_NODES`` values, or whose
    aliases refer to themselves (a document that would be infinite)."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to the value that contains it", node.start_mark
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        if total > MAX_NODES:
            raise yaml.composer.ComposerError(
                None, None,
                f"expands to more than {MAX_NODES} values through aliases",
                node.start_mark,
            )  # fmt: skip
        sizes[key] = total
        return total

    size(root)


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
