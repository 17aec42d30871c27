"""Fuzzing configurations: random mutations of real examples either fail validation with errors
that each name a path, or load and plan a whole dry-run ``setup`` (bootstrap, accessories, env
push, deploy) without any exception other than our own clean errors. Never a traceback.

Seeds: the documented examples (``configuration/docs/*.yml``, merged into the root example),
the demo ``config/deploy.yml`` and, when present, the real users' files in
``/work/shared/real-world-configs/`` (read from there, never copied).
"""

from __future__ import annotations

import copy
import io
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamal_tasks.configuration import Config
from kamal_tasks.configuration.loader import MAX_DEPTH, parse_yaml
from kamal_tasks.configuration.redaction import redacted
from kamal_tasks.configuration.validation import validate
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.errors import ConfigurationError, HostsFailed, KamalError
from kamal_tasks.flows import deploy as deploy_flows
from kamal_tasks.flows.dry_run import assume_success
from kamal_tasks.options import Options
from kamal_tasks.output import Output

REPO_ROOT = Path(__file__).resolve().parent.parent
REAL_WORLD = Path("/work/shared/real-world-configs")
DOCS_DIR = REPO_ROOT / "kamal_tasks/configuration/docs"

#: An error line: ``some/path: message`` (the path of the key at fault); a key that would be
#: ambiguous in a path (empty, spaces, ``:``) is shown quoted.
SEGMENT = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^:/'"\s][^:/]*)"""
PATH_ERROR = re.compile(rf"^{SEGMENT}(?:/{SEGMENT})*: \S")
#: A host's failure reason that is a Python exception rather than one of our errors.
PYTHON_ERROR = re.compile(r"^[A-Z]\w*(Error|Exception|Exit|Interrupt)\b")
#: Errors about the configuration as a whole, naming the role or the rule instead of a path.
ROOT_ERRORS = (
    re.compile(r"^The configuration should be a hash$"),
    re.compile(r"^unknown keys?: \S"),
    re.compile(r"^You must specify a destination$"),
    re.compile(r"^The primary_role .* isn't defined$"),
    re.compile(r"^No servers specified for the .* (primary_role|role)"),
)


def root_example() -> dict[str, Any]:
    """The documented root example, with every section's own documented example merged in."""
    raw = yaml.safe_load((DOCS_DIR / "configuration.yml").read_text())
    for path in sorted(DOCS_DIR.glob("*.yml")):
        section = yaml.safe_load(path.read_text())
        if isinstance(section, dict):
            for key, value in section.items():
                if key in raw and key not in ("servers",) and isinstance(value, dict):
                    raw[key] = value
    return raw


def real_world_seeds() -> list[dict[str, Any]]:
    seeds = []
    for path in sorted(REAL_WORLD.glob("*/config/deploy*.yml")) if REAL_WORLD.is_dir() else []:
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue  # one file is ERB
        if isinstance(raw, dict):
            seeds.append(raw)
    return seeds


SEEDS: list[dict[str, Any]] = [
    root_example(),
    yaml.safe_load((REPO_ROOT / "config/deploy.yml").read_text()),
    *real_world_seeds(),
]

KEYS = st.sampled_from(
    [
        "service", "image", "servers", "web", "hosts", "registry", "env", "clear", "secret",
        "tags", "traefik", "host_port", "ssh", "port", "accessories", "db", "healthcheck",
        "max_attempts", "boot", "limit", "options", "labels", "cmd", "roles", "host", "files",
        "volumes", "builder", "args", "cache", "sshkit", "primary_role", "x-anchor",
    ]
) | st.text(max_size=8) | st.integers(-3, 3)  # fmt: skip

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "25%", "0%", "abc", "²", "1.1.1.1", "web", "80", "-1", "[A]", "%"])
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=8,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (keys of mappings, indexes of lists)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def parent_of(raw: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        raw = raw[part]
    return raw


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A seed with one to four mutations: replace, delete, add, rename, wrap or unwrap."""
    raw = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(raw)))
        operation = draw(st.sampled_from(["replace", "delete", "add", "rename", "wrap", "swap"]))
        if not path:
            if operation == "add":
                raw[draw(KEYS)] = draw(VALUES)
            continue
        parent, last = parent_of(raw, path), path[-1]
        current = parent[last]
        if operation == "replace":
            parent[last] = draw(VALUES)
        elif operation == "delete":
            del parent[last]
        elif operation == "add" and isinstance(current, dict):
            current[draw(KEYS)] = draw(VALUES)
        elif operation == "add" and isinstance(current, list):
            current.append(draw(VALUES))
        elif operation == "rename" and isinstance(parent, dict):
            parent[draw(KEYS)] = parent.pop(last)
        elif operation == "wrap":
            parent[last] = draw(st.sampled_from([[current], {draw(KEYS): current}]))
        elif operation == "swap":
            parent[last] = draw(st.sampled_from(swaps(current)))
    return raw


def swaps(value: Any) -> list[Any]:
    """Values of another type that look alike: ``"80"``/80, ``[x]``/x, ``-1``, ``True``."""
    options: list[Any] = [str(value), -1, 0, True, None, [], {}]
    if isinstance(value, list) and value:
        options.append(value[0])
    if isinstance(value, str) and value.isascii() and value.isdigit():
        options.append(int(value))
    return options


def assert_errors_name_paths(errors: list[str]) -> None:
    for error in errors:
        assert isinstance(error, str) and "\n" not in error, error
        assert PATH_ERROR.match(error) or any(p.match(error) for p in ROOT_ERRORS), error


def plan_setup(raw: dict[str, Any], tmp_path: Path) -> None:
    """Load ``raw`` as the CLI would and plan ``setup`` in a dry run (no hooks, quiet)."""
    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()), assume_success, False)
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    values = {name: "dummy" for name in secret_names(raw)}
    k._config = Config(raw, version="v1", env_values=values)
    k.env_values = values
    k.sleep = lambda seconds: None
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "fuzz"
    redacted(k.config)
    yaml.safe_dump(redacted(k.config))
    deploy_flows.setup(k)


def secret_names(raw: Any) -> set[str]:
    """Every string under a ``secret`` key, or in a one-item registry credential list."""
    names: set[str] = set()
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in ("secret", "password", "username") and isinstance(value, list):
                names.update(item for item in value if isinstance(item, str))
            names |= secret_names(value)
    elif isinstance(raw, list):
        for item in raw:
            names |= secret_names(item)
    return names


def check_one(raw: dict[str, Any], tmp_path: Path) -> None:
    errors = validate(raw)
    if errors:
        assert_errors_name_paths(errors)
        return
    try:
        plan_setup(raw, tmp_path)
    except HostsFailed as error:  # a host's step may fail with any exception: ours only
        for failure in error.failures:
            assert not PYTHON_ERROR.match(failure.reason), str(failure)
    except KamalError as error:
        assert str(error).strip(), type(error)


def test_every_seed_is_valid_or_fails_cleanly(tmp_path: Path) -> None:
    assert len(SEEDS) >= 2
    for raw in SEEDS:
        check_one(copy.deepcopy(raw), tmp_path)


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=mutated())
def test_mutated_configs_fail_with_paths_or_plan_cleanly(
    raw: dict[str, Any], tmp_path: Path
) -> None:
    check_one(raw, tmp_path)


@settings(max_examples=600, deadline=None)
@given(raw=st.dictionaries(KEYS, VALUES, max_size=6))
def test_random_configs_fail_with_paths(raw: dict[str, Any]) -> None:
    assert_errors_name_paths(validate(raw))


YAML_PIECES = st.sampled_from(
    [
        "service: app\n", "servers:\n", "  - 1.1.1.1\n", "  web:\n", "    hosts: [a]\n",
        "&a ", "*a", "<<: *a\n", "[", "]", "{", "}", ": ", "- ", "'", '"', "\t", "\\x", "!!binary ",
        "!!python/object:os.system ", "? ", "---\n", "...\n", "%YAML 1.1\n", "\n", "\xff",
        "é", "\x00", "- &b [*b]\n", "x: &c [*c, *c]\n", "2024-01-01", "0o17", "~",
    ]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(YAML_PIECES | st.text(max_size=5), max_size=20))
def test_random_yaml_text_parses_or_fails_with_a_yaml_error(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        data = parse_yaml(text)
    except yaml.YAMLError:
        return
    validate(data if isinstance(data, dict) else {"x": data})


def test_nesting_at_the_limit_still_loads_validates_and_prints(tmp_path: Path) -> None:
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH - 5):  # the root, servers, web, options and the leaf: 5 levels
        deep = [deep]
    raw = copy.deepcopy(SEEDS[0])
    raw["servers"] = {"web": {"hosts": ["1.1.1.1"], "options": {"x": deep}}}
    text = yaml.safe_dump(raw)
    assert parse_yaml(text) == raw
    check_one(raw, tmp_path)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value: float) -> None:
    raw = copy.deepcopy(SEEDS[0])
    raw["boot"] = {"wait": value}
    with pytest.raises(ConfigurationError):
        from kamal_tasks.configuration.validation import check

        check(raw)


# --- what fuzzing found (each once a traceback) -------------------------------------------------
def minimal(**extra: Any) -> dict[str, Any]:
    raw = {
        "service": "app",
        "image": "user/app",
        "servers": ["1.1.1.1"],
        "registry": {"username": "user", "password": "pw"},
    }
    return {**raw, **extra}


@pytest.mark.parametrize(
    "raw",
    [
        minimal(image=-1),
        minimal(volumes=[8080]),
        minimal(accessories={"db": {"image": "mysql", "host": "1.1.1.1", "directories": [-1]}}),
        minimal(builder={"multiarch": False, "cache": {"type": "gha", "options": 5}}),
        minimal(builder={"remote": {"arch": ["amd64"], "host": "ssh://b"}}),
        minimal(run_directory=7, hooks_path=8, asset_path=9),
        minimal(healthcheck={"path": 1, "cmd": 2, "cord": 3, "interval": 4}),
        minimal(ssh={"user": 0, "keys": [1], "proxy": 2}),
    ],
)
def test_numbers_where_strings_are_expected_plan_cleanly(
    raw: dict[str, Any], tmp_path: Path
) -> None:
    assert validate(raw) == []
    plan_setup(raw, tmp_path)


def test_a_numeric_primary_role_must_exist() -> None:
    assert validate(minimal(primary_role=-1)) == ["The primary_role -1 isn't defined"]


def test_keys_that_would_be_ambiguous_in_a_path_are_quoted() -> None:
    assert validate(minimal(env={"\n": {}, "a/b": [], "": 1.5})) == [
        "env/'\\n': should be a string",
        "env/'a/b': should be a string",
    ]
    assert validate(minimal(**{"": 1})) == ["unknown key: ''"]
    assert validate(minimal(servers={"a b ": []})) == [
        "servers/'a b ': role name should match ^[A-Za-z0-9_][A-Za-z0-9_-]*$",
        "The primary_role web isn't defined",
        "No servers specified for the 'a b ' role. "
        "You can ignore this with allow_empty_roles: true",
    ]


def test_a_missing_accessory_file_names_it(tmp_path: Path) -> None:
    raw = minimal(accessories={"db": {"image": "mysql", "host": "1.1.1.1", "files": ["x.sql:/y"]}})
    with pytest.raises(HostsFailed) as raised:
        plan_setup(raw, tmp_path)
    assert "accessories/db/files: x.sql: no such file" in str(raised.value)
