"""The destination merge rule, against Invoke's ``merge_dicts`` where that one can answer."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invoke.config import AmbiguousMergeError, merge_dicts

from kamal_tasks.configuration.loader import deep_merge

KEYS = st.sampled_from(["servers", "env", "web", "hosts", "clear", "a"])
LEAVES = st.none() | st.booleans() | st.integers() | st.text("ab", max_size=2)
VALUES = st.recursive(
    LEAVES | st.lists(LEAVES, max_size=3),
    lambda inner: st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=8,
)
CONFIGS = st.dictionaries(KEYS, VALUES, max_size=4)
# The machine is shared with other test runs: slow is not wrong here.
UNHURRIED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@UNHURRIED
@given(CONFIGS, CONFIGS)
def test_agrees_with_invoke_merge_dicts_where_that_does_not_raise(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    try:
        expected = merge_dicts(copy.deepcopy(base), copy.deepcopy(override))
    except AmbiguousMergeError:
        return
    assert deep_merge(base, override) == expected


@UNHURRIED
@given(CONFIGS, CONFIGS)
def test_the_override_wins_key_by_key_and_no_input_changes(
    base: dict[str, Any], override: dict[str, Any]
) -> None:
    before = copy.deepcopy((base, override))
    merged = deep_merge(base, override)
    assert (base, override) == before
    assert set(merged) == set(base) | set(override)
    for key, value in merged.items():
        if key not in override:
            assert value == base[key]
        elif isinstance(override[key], dict) and isinstance(base.get(key), dict):
            assert value == deep_merge(base[key], override[key])
        else:
            assert value == override[key]


@pytest.mark.parametrize(
    ("base", "override", "merged"),
    [
        # a destination listing its hosts over a base with roles (Invoke would raise)
        ({"servers": {"web": ["1.1.1.1"]}}, {"servers": ["2.2.2.2"]}, {"servers": ["2.2.2.2"]}),
        # and the other way round
        (
            {"servers": ["1.1.1.1"]},
            {"servers": {"web": ["2.2.2.2"]}},
            {"servers": {"web": ["2.2.2.2"]}},
        ),
        # null clears a section
        ({"env": {"clear": {"A": "1"}}}, {"env": None}, {"env": None}),
    ],
)
def test_a_mapping_and_a_non_mapping_replace_each_other(
    base: dict[str, Any], override: dict[str, Any], merged: dict[str, Any]
) -> None:
    assert deep_merge(base, override) == merged
    with pytest.raises(AmbiguousMergeError):
        merge_dicts(copy.deepcopy(base), override)
