"""Shell building blocks, and quoting checked through a real ``sh -c``."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kamal_tasks.commands.base import (
    any_of,
    argumentize,
    chain,
    combine,
    docker,
    join,
    make_directory,
    optionize,
    pipe,
    quote,
    single_quote,
    utc_timestamp,
    xargs,
)

NASTY = 'it\'s "quoted" $HOME `id` \\n\\ back\\slash  spaces\ttab é 日本 🚀\nnew line $(id) !x'


def sh(command: str) -> bytes:
    return subprocess.run(["sh", "-c", command], capture_output=True, check=True).stdout


@pytest.mark.parametrize(
    "value",
    [NASTY, "", "$", "\\", '"', "`", "'", "a\\", "\\$HOME", "trailing newline\n", "\\\n"],
)
def test_quote_round_trips_through_sh(value):
    assert sh(f"printf %s {quote(value)}") == value.encode()


@pytest.mark.parametrize("value", [NASTY, "", "'", "''", "a'b'c"])
def test_single_quote_round_trips_through_sh(value):
    assert sh(f"printf %s {single_quote(value)}") == value.encode()


def test_quote_escapes_exactly_four_characters():
    assert quote('a\\b"c$d`e') == '"a\\\\b\\"c\\$d\\`e"'
    assert quote("x'y é\n") == '"x\'y é\n"'
    assert quote(3) == '"3"'
    assert quote(True) == '"true"'


def test_argumentize():
    assert argumentize("--label", {"service": "app", "destination": None}) == (
        '--label service="app" --label destination'
    )
    assert argumentize("--secret", [("id", "A"), ("id", "B")]) == (
        '--secret id="A" --secret id="B"'
    )
    assert argumentize("--env", {}) == ""


def test_optionize():
    assert optionize({"cpus": 2, "init": True, "net": None}) == '--cpus "2" --init --net'
    assert optionize({"add-host": ["a:1", "b:2"]}) == '--add-host "a:1" --add-host "b:2"'
    assert optionize({"log.level": "DEBUG", "api": None}, separator="=") == (
        '--log.level="DEBUG" --api'
    )
    assert optionize({"flag": False}) == '--flag "false"'


def test_join_and_combinators():
    assert join("a", None, "", ["b", ("c", None)], 5) == "a b c 5"
    assert combine("a", None, "", "b") == "a && b"
    assert combine("a", "b", by="||") == "a || b"
    assert chain("a", "b") == "a ; b"
    assert pipe("a", "b", None) == "a | b"
    assert any_of("a", "b") == "a || b"
    assert docker("ps", ["--filter", "x"]) == "docker ps --filter x"
    assert xargs("docker stop") == "xargs docker stop"
    assert make_directory("a", "b c") == "mkdir -p a b c"


def test_utc_timestamp():
    assert utc_timestamp(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    assert utc_timestamp(datetime(2024, 1, 1, 12, 30, 5, 999)) == "2024-01-01T12:30:05Z"
    paris = timezone(timedelta(hours=1))
    assert utc_timestamp(datetime(2024, 1, 1, 1, 0, tzinfo=paris)) == "2024-01-01T00:00:00Z"
