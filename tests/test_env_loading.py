"""Env files: .kamal/.env[.<dest>] (root .env as a deprecated fallback), dotenv-like expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from kamal_tasks.env_loading import (
    DEPRECATION_WARNING,
    CommandSubstitutionFailed,
    env_files,
    load_env,
    parse_env_text,
)
from kamal_tasks.errors import KamalError


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NAME", "A", "B", "C", "GREETING", "TOKEN", "HOME_DIR", "UNSET_VAR_XYZ"):
        monkeypatch.delenv(name, raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- which files ------------------------------------------------------------------------------


def test_kamal_env_file(tmp_path: Path) -> None:
    write(tmp_path / ".kamal/.env", "A=kamal\n")
    write(tmp_path / ".env", "A=root\nB=root\n")
    loaded = load_env(tmp_path)
    assert loaded.values == {"A": "kamal"}
    assert loaded.files == [tmp_path / ".kamal/.env"]
    assert loaded.warnings == []


def test_destination_file_overrides_the_base_file(tmp_path: Path) -> None:
    write(tmp_path / ".kamal/.env", "A=base\nB=base\n")
    write(tmp_path / ".kamal/.env.staging", "B=staging\nC=$A-$B\n")
    loaded = load_env(tmp_path, "staging")
    assert loaded.values == {"A": "base", "B": "staging", "C": "base-staging"}
    assert loaded.files == [tmp_path / ".kamal/.env", tmp_path / ".kamal/.env.staging"]
    assert load_env(tmp_path).values == {"A": "base", "B": "base"}


def test_destination_file_alone(tmp_path: Path) -> None:
    write(tmp_path / ".kamal/.env.production", "A=prod\n")
    write(tmp_path / ".env", "B=root\n")
    loaded = load_env(tmp_path, "production")
    assert loaded.values == {"A": "prod"}
    assert loaded.warnings == []


def test_root_env_files_are_a_deprecated_fallback(tmp_path: Path) -> None:
    write(tmp_path / ".env", "A=root\nB=root\n")
    write(tmp_path / ".env.staging", "B=root-staging\n")
    loaded = load_env(tmp_path, "staging")
    assert loaded.values == {"A": "root", "B": "root-staging"}
    assert loaded.files == [tmp_path / ".env", tmp_path / ".env.staging"]
    assert loaded.warnings == [DEPRECATION_WARNING]
    assert DEPRECATION_WARNING == (
        "Loading env from the project root .env files is deprecated: move them to .kamal/"
    )


def test_no_env_files(tmp_path: Path) -> None:
    loaded = load_env(tmp_path, "staging")
    assert (loaded.values, loaded.files, loaded.warnings) == ({}, [], [])
    assert env_files(tmp_path, None) == ([], True)


def test_env_files_lists_existing_files_only(tmp_path: Path) -> None:
    write(tmp_path / ".kamal/.env", "")
    assert env_files(tmp_path, "staging") == ([tmp_path / ".kamal/.env"], False)


# --- values -----------------------------------------------------------------------------------


def test_plain_and_quoted_values() -> None:
    text = "A=plain\nexport B=\"double quoted\"\nC='single'\n# comment\nD=\n"
    assert parse_env_text(text) == {"A": "plain", "B": "double quoted", "C": "single", "D": ""}


def test_multiline_double_quoted_value() -> None:
    assert parse_env_text('KEY="line1\nline2"\n') == {"KEY": "line1\nline2"}


def test_command_substitution() -> None:
    assert parse_env_text("TOKEN=$(echo s3cret)\n") == {"TOKEN": "s3cret"}
    assert parse_env_text('TOKEN="pre-$(printf abc)-post"\n') == {"TOKEN": "pre-abc-post"}


def test_nested_command_substitution() -> None:
    assert parse_env_text("A=$(echo $(echo inner)-outer)\n") == {"A": "inner-outer"}


def test_command_runs_in_the_given_directory(tmp_path: Path) -> None:
    write(tmp_path / "secret.txt", "from-file\n")
    assert parse_env_text("A=$(cat secret.txt)\n", cwd=tmp_path) == {"A": "from-file"}


def test_load_env_runs_commands_in_the_project_root(tmp_path: Path) -> None:
    write(tmp_path / "secret.txt", "project-secret\n")
    write(tmp_path / ".kamal/.env", "A=$(cat secret.txt)\n")
    assert load_env(tmp_path).values == {"A": "project-secret"}


def test_variable_expansion_both_forms_and_in_order() -> None:
    text = 'A=1\nB=${A}2\nC="$B-$A"\n'
    assert parse_env_text(text) == {"A": "1", "B": "12", "C": "12-1"}


def test_later_definitions_see_earlier_ones_not_later_ones() -> None:
    assert parse_env_text("A=$B\nB=b\n") == {"A": "", "B": "b"}


def test_undefined_variable_expands_to_empty() -> None:
    assert parse_env_text("A=x${UNSET_VAR_XYZ}y\n") == {"A": "xy"}


def test_single_quoted_values_are_literal() -> None:
    text = "A=1\nB='$A ${A} $(echo no)'\n"
    assert parse_env_text(text) == {"A": "1", "B": "$A ${A} $(echo no)"}


def test_escaped_dollar_is_literal() -> None:
    assert parse_env_text('A=1\nB=\\$A\nC="\\${A}"\n') == {"A": "1", "B": "$A", "C": "${A}"}


def test_process_environment_wins_for_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAME", "from-process")
    assert parse_env_text("NAME=from-file\nGREETING=hi $NAME\n") == {
        "NAME": "from-file",
        "GREETING": "hi from-process",
    }


def test_given_environ_is_visible() -> None:
    assert parse_env_text("B=$A-b\n", environ={"A": "a"}) == {"B": "a-b"}


def test_failing_command_raises() -> None:
    with pytest.raises(CommandSubstitutionFailed) as raised:
        parse_env_text("A=ok\nTOKEN=$(echo out; echo err >&2; exit 3)\n")
    error = raised.value
    assert isinstance(error, KamalError)
    assert (error.key, error.command) == ("TOKEN", "echo out; echo err >&2; exit 3")
    assert error.output == "out\nerr\n"
    assert str(error) == (
        "Env TOKEN (.env line 2): command `echo out; echo err >&2; exit 3` failed:\nout\nerr"
    )


def test_failing_command_in_a_file(tmp_path: Path) -> None:
    write(tmp_path / ".kamal/.env", "TOKEN=$(false)\n")
    with pytest.raises(CommandSubstitutionFailed) as raised:
        load_env(tmp_path)
    assert str(raised.value) == "Env TOKEN (.kamal/.env line 1): command `false` failed:"


def test_custom_run_function() -> None:
    calls: list[tuple[str, Path | None]] = []

    def run(command: str, cwd: Path | None) -> str:
        calls.append((command, cwd))
        return f"<{command}>"

    assert parse_env_text("A=$(op read x)\n", cwd=Path("/p"), run=run) == {"A": "<op read x>"}
    assert calls == [("op read x", Path("/p"))]


# --- where we differ from Ruby dotenv (bugs) ----------------------------------------------------


def test_command_sees_variables_defined_earlier() -> None:
    assert parse_env_text("NAME=world\nGREETING=$(echo hello $NAME)\n") == {
        "NAME": "world",
        "GREETING": "hello world",
    }


def test_command_output_is_not_expanded_again(tmp_path: Path) -> None:
    write(tmp_path / "password.txt", "p@ss$word\n")
    assert parse_env_text("PASSWORD=$(cat password.txt)\n", cwd=tmp_path) == {
        "PASSWORD": "p@ss$word"
    }


def test_escaped_command_is_literal_and_later_commands_still_run() -> None:
    assert parse_env_text("A=\\$(echo no) $(echo yes)\n") == {"A": "$(echo no) yes"}


# --- errors python-dotenv would skip silently, time limits, dry runs ---------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('A=1\nB="no end\nC=3\n', ".env line 2: can't parse `B=\"no end`"),
        ("# comment\n\n\nX='open\n", ".env line 4: can't parse `X='open`"),
        ("A 1\n", ".env line 1: can't parse `A 1`"),
        ("=3\n", ".env line 1: can't parse `=3`"),
    ],
)
def test_lines_dotenv_cannot_parse_are_errors(text: str, expected: str) -> None:
    from kamal_tasks.env_loading import EnvFileError

    with pytest.raises(EnvFileError) as raised:
        parse_env_text(text)
    assert str(raised.value) == expected


def test_a_multi_line_value_is_still_fine() -> None:
    assert parse_env_text('KEY="a\nb"\nNEXT=1\n') == {"KEY": "a\nb", "NEXT": "1"}


def test_env_command_time_limit() -> None:
    from kamal_tasks.errors import TimedOut

    with pytest.raises(TimedOut) as raised:
        parse_env_text("\nA=$(sleep 30)\n", timeout=0.2, source=".kamal/.env")
    assert str(raised.value).startswith(
        "Env A (.kamal/.env line 2): command `sleep 30` timed out after 0.2 s"
    )


def test_dry_run_substitutes_placeholders_and_notes_commands(tmp_path: Path) -> None:
    write(tmp_path / ".kamal/.env", "A=x-$(touch ran.txt)-y\nB='$(not run either)'\n")
    loaded = load_env(tmp_path, dry_run=True)
    assert loaded.values == {"A": "x-[output of $(touch ran.txt)]-y", "B": "$(not run either)"}
    assert loaded.not_run == ["`touch ran.txt` (in .kamal/.env)"]
    assert not (tmp_path / "ran.txt").exists()
