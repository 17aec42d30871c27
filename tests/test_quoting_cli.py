"""The issue's reproductions through the real CLI: a hostile version, destination or command
gets a one-line error naming the flag and exit 1, never a traceback; nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import kamal

DEPLOY_YML = """\
service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: pw
"""
TAG = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
NAME = "^[A-Za-z0-9_][A-Za-z0-9_-]*$"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    (tmp_path / "config/deploy.staging.yml").write_text("")
    return tmp_path


def one_line_error(done, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"ERROR: {expected}\n"


def test_hostile_version_flag(project: Path) -> None:
    done = kamal(project, "deploy", "--dry-run", "--version", "v1$(touch PWNED)")
    one_line_error(
        done,
        f"--version 'v1$(touch PWNED)' is not a valid Docker tag (should match {TAG}: "
        "letters, digits, _ . -, at most 128)",
    )
    assert not (project / "PWNED").exists()


def test_hostile_version_variable(project: Path) -> None:
    done = kamal(project, "deploy", "--dry-run", VERSION="v1\nrm -rf ~")
    one_line_error(
        done,
        f"VERSION 'v1\\nrm -rf ~' is not a valid Docker tag (should match {TAG}: "
        "letters, digits, _ . -, at most 128)",
    )


@pytest.mark.parametrize("destination", ["a/b", "../x", "-x", "x y", "st$(id)"])
def test_hostile_destination(project: Path, destination: str) -> None:
    done = kamal(project, "config", "--version", "v1", "-d", destination)
    one_line_error(done, f"--destination {destination!r}: should match {NAME}")


def test_plain_destination_and_uncommitted_version_still_work(project: Path) -> None:
    done = kamal(project, "config", "-d", "staging", VERSION="0123abc_uncommitted_89ef")
    assert done.returncode == 0, done.stderr
    assert "0123abc_uncommitted_89ef" in done.stdout


def test_exec_command_with_an_open_quote(project: Path) -> None:
    done = kamal(project, "app.exec", "--dry-run", "--version", "v1", "echo 'oops")
    one_line_error(done, "command: can't split \"echo 'oops\" into words (no closing quotation)")


def test_exec_command_reaches_the_plan_as_quoted_words(project: Path) -> None:
    done = kamal(project, "app.exec", "--dry-run", "--version", "v1", "echo $(id) 'a b'; ls")
    assert done.returncode == 0, done.stderr
    assert "docker run --rm --env-file .kamal/env/roles/app-web.env dhh/app:v1 " in done.stdout
    assert done.stdout.splitlines()[0].endswith("dhh/app:v1 echo '$(id)' 'a b;' ls")
