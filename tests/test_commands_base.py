"""Shell building blocks, and quoting checked through a real ``sh -c``."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kamal_tasks.commands.base import (
    BadCommandLine,
    Raw,
    any_of,
    argumentize,
    chain,
    combine,
    command_words,
    docker,
    double_quoted,
    join,
    make_directory,
    optionize,
    pipe,
    quote,
    shell_word,
    single_quote,
    subshell,
    substitution,
    utc_timestamp,
    with_variables,
    word,
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
    assert combine(Raw("a"), None, "", Raw("b")) == "a && b"
    assert combine(Raw("a"), Raw("b"), by="||") == "a || b"
    assert chain(Raw("a"), Raw("b")) == "a ; b"
    assert pipe(Raw("a"), Raw("b"), None) == "a | b"
    assert any_of(Raw("a"), Raw("b")) == "a || b"
    assert subshell(join("a", "b c")) == "(a 'b c')"
    assert substitution(join("pwd")) == "$(pwd)"
    assert docker("ps", ["--filter", "x"]) == "docker ps --filter x"
    assert xargs(docker("stop")) == "xargs docker stop"
    assert make_directory("a", "b c") == "mkdir -p a 'b c'"


@pytest.mark.parametrize("combinator", [combine, chain, pipe, any_of])
def test_combinators_refuse_unmarked_text(combinator):
    with pytest.raises(TypeError, match="mark literal shell text Raw"):
        combinator(join("ls"), "rm -rf " + "x")
    with pytest.raises(TypeError):
        xargs("docker stop")
    with pytest.raises(TypeError):
        subshell("exit 1")


def test_every_helper_returns_raw():
    built = [
        join("a"), quote("a"), single_quote("a"), shell_word("a"), word("a", "b"),
        double_quoted("a"), with_variables("a"), argumentize("--e", {"A": 1}),
        optionize({"a": 1}), docker("ps"), make_directory("a"),
        combine(Raw("a")), pipe(Raw("a"), Raw("b")),
    ]  # fmt: skip
    assert all(isinstance(command, Raw) for command in built)
    assert not isinstance(f"{join('a')} b", Raw)  # an f-string loses the mark


@pytest.mark.parametrize(
    "value, shown",
    [
        ("app-web-999", "app-web-999"),
        ("registry:5000/dhh/app:v1.2_3", "registry:5000/dhh/app:v1.2_3"),
        ("a=b,c@d%e+f", "a=b,c@d%e+f"),
        ("", "''"),
        ("db *", "'db *'"),
        ("/srv/my data:/data", "'/srv/my data:/data'"),
        ("v1$(touch x)", "'v1$(touch x)'"),
        ("it's", "'it'\\''s'"),
        ("~/x", "'~/x'"),
        ("é", "'é'"),
        (3, "3"),
        (True, "true"),
    ],
)
def test_shell_word(value, shown):
    assert shell_word(value) == shown


@pytest.mark.parametrize("value", [NASTY, "", "'", "db *", "-", "a\nb", "日本", "$(id)"])
def test_shell_word_and_join_round_trip_through_sh(value):
    assert sh(f"printf %s {shell_word(value)}") == value.encode()
    if value:  # join drops "" (and None): nothing to say
        assert sh(join("printf", "%s|", value, value)) == f"{value}|{value}|".encode()


def test_raw_parts_are_kept_and_values_are_quoted():
    assert join("echo", Raw("$HOME"), "$HOME", Raw("2>&1")) == "echo $HOME '$HOME' 2>&1"
    assert word(Raw("$(pwd)/"), "my dir:/data") == "$(pwd)/'my dir:/data'"
    assert word(Raw("name=^"), "app-web-1", Raw("$")) == "name=^app-web-1$"
    assert double_quoted(Raw("$(ls)"), 'a"b$c', Raw("\\|"), "d") == '"$(ls)a\\"b\\$c\\|d"'


def test_with_variables_expands_only_plain_variables():
    assert with_variables("default=$SSH_AUTH_SOCK") == '"default=$SSH_AUTH_SOCK"'
    env = "X=1; export X; "
    assert sh(env + f"printf %s {with_variables('a=$X,${X}')}") == b"a=1,1"
    hostile = "$(touch pwned)`touch pwned`$1$ \"'"
    assert sh(f"printf %s {with_variables(hostile)}") == hostile.encode()


@pytest.mark.parametrize(
    "line, words",
    [
        ("bin/rails server -b 0.0.0.0", ["bin/rails", "server", "-b", "0.0.0.0"]),
        ("sh -c 'a && b'", ["sh", "-c", "'a && b'"]),
        ('echo "$HOME" $(id); rm *', ["echo", "'$HOME'", "'$(id);'", "rm", "'*'"]),
        ("a\\ b ''", ["'a b'", "''"]),
        ("", []),
        (None, []),
    ],
)
def test_command_words(line, words):
    assert command_words(line) == words


def test_command_words_refuses_an_unterminated_quote():
    with pytest.raises(BadCommandLine) as raised:
        command_words("echo 'oops", "servers/web/cmd")
    assert (
        str(raised.value)
        == "servers/web/cmd: can't split \"echo 'oops\" into words (no closing quotation)"
    )


def test_utc_timestamp():
    assert utc_timestamp(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    assert utc_timestamp(datetime(2024, 1, 1, 12, 30, 5, 999)) == "2024-01-01T12:30:05Z"
    paris = timezone(timedelta(hours=1))
    assert utc_timestamp(datetime(2024, 1, 1, 1, 0, tzinfo=paris)) == "2024-01-01T00:00:00Z"
