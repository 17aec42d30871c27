"""``aliases:`` in deploy.yml: validated, and each one a task of the collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli import kamal

from kamal_tasks.configuration.validation import validate
from kamal_tasks.options import Options
from kamal_tasks.tasks import aliases

BASE = """\
service: app
image: dhh/app
servers:
  - 192.0.2.1
  - 192.0.2.2
registry:
  username: user
  password: pw
"""
MINIMAL: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": ["192.0.2.1"],
    "registry": {"username": "u", "password": "p"},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(
        BASE + "aliases:\n"
        '  console: app exec -i --reuse "bin/rails console"\n'
        "  tail-web: app.logs --follow -n 5\n"
        "  whoami: server.exec whoami\n"
    )
    return tmp_path


def test_valid_aliases() -> None:
    good = {"console": 'app.exec -i --reuse "bin/rails c"', "up_2": "deploy -P", "l": "app logs"}
    assert validate({**MINIMAL, "aliases": good}) == []


def test_invalid_aliases_are_reported_by_key() -> None:
    bad = {
        "Console": "app.exec -i bash",
        "deploy": "app.exec ls",
        "app": "app.exec ls",
        "empty": "",
        "number": 3,
        "nowhere": "frobnicate --now",
        "quotes": 'app.exec "unclosed',
    }
    assert validate({**MINIMAL, "aliases": bad}) == [
        "aliases/Console: Invalid alias name: can only contain lowercase letters, numbers, "
        "dashes and underscores",
        "aliases/deploy: Alias 'deploy' conflicts with a built-in task",
        "aliases/app: Alias 'app' conflicts with a built-in task",
        "aliases/empty: should be a task command line",
        "aliases/number: should be a task command line",
        "aliases/nowhere: `frobnicate --now` should start with a task (e.g. app.exec, or "
        "Kamal's app exec)",
        'aliases/quotes: `app.exec "unclosed` should start with a task (e.g. app.exec, or '
        "Kamal's app exec)",
    ]
    assert validate({**MINIMAL, "aliases": ["console"]}) == ["aliases: should be a hash"]


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ('app exec -i --reuse "bin/rails console"',
         ["app.exec", "-i", "--reuse", "bin/rails console"]),
        ("app.logs -f", ["app.logs", "-f"]),
        ("deploy -P", ["deploy", "-P"]),
        ("lock status", ["lock.status"]),
    ],
)  # fmt: skip
def test_resolve(command: str, argv: list[str]) -> None:
    assert aliases.resolve(command) == argv


def test_common_flags() -> None:
    assert aliases.common_flags(Options()) == []
    options = Options(destination="staging", hosts="a,b", primary=True, dry_run=True)
    assert aliases.common_flags(options) == [
        "--destination", "staging", "--hosts", "a,b", "--primary", "--dry-run",
    ]  # fmt: skip


def test_read_skips_what_is_not_an_alias(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yml"
    path.write_text(
        "aliases:\n  ok: app.exec ls\n  Bad: app.exec ls\n  deploy: x\n  n: 3\n  app: x\n"
    )
    assert aliases.read(path) == {"ok": "app.exec ls"}
    path.write_text("aliases: [\n")
    assert aliases.read(path) == {}
    assert aliases.read(tmp_path / "missing.yml") == {}


def test_aliases_are_listed(project: Path) -> None:
    done = kamal(project, "--list")
    assert done.returncode == 0, done.stderr
    lines = [line.split(None, 1) for line in done.stdout.splitlines() if line.startswith("  ")]
    listed = {words[0]: words[1] for words in lines if len(words) == 2}
    assert listed["console"] == 'Alias for `app exec -i --reuse "bin/rails console"`.'
    assert listed["tail-web"] == "Alias for `app.logs --follow -n 5`."


def test_an_alias_runs_its_task_with_the_common_options(project: Path) -> None:
    done = kamal(project, "console", "--dry-run", "--version", "v3", "--hosts", "192.0.2.2")
    assert (done.returncode, done.stdout) == (
        0, "[192.0.2.2] docker exec -it app-web-v3 bin/rails console\n",
    ), done.stderr  # fmt: skip
    done = kamal(project, "whoami", "--dry-run", "--version", "v3")
    assert done.stdout.splitlines()[:2] == ["[192.0.2.1] whoami", "[192.0.2.2] whoami"]


def test_an_alias_has_help_with_the_common_options(project: Path) -> None:
    done = kamal(project, "--help", "tail-web")
    assert done.returncode == 0, done.stderr
    assert "Alias for `app.logs --follow -n 5`." in done.stdout
    assert "-d STRING, --destination=STRING" in done.stdout


def test_config_file_setting_is_where_aliases_are_read(project: Path) -> None:
    (project / "config/deploy.yml").rename(project / "config/other.yml")
    assert "console" not in kamal(project, "--list").stdout
    done = kamal(project, "--list", INVOKE_KAMAL_CONFIG_FILE="config/other.yml")
    assert "console" in done.stdout


def test_underscores_become_dashes_as_for_every_task(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(
        BASE + "aliases:\n  db_console: server.exec -i sh\n"
    )
    done = kamal(tmp_path, "db-console", "--dry-run", "--version", "v1")
    assert (done.returncode, done.stdout) == (0, "[192.0.2.1] sh\n"), done.stderr


def test_common_flags_leave_out_settings_that_have_no_flag() -> None:
    options = Options(destination="staging", hook_timeout=30, env_command_timeout=None)
    assert aliases.common_flags(options) == ["--destination", "staging"]


def test_an_alias_runs_with_a_timeout_setting_in_invoke_config(project: Path) -> None:
    done = kamal(project, "console", "--dry-run", VERSION="v1", INVOKE_KAMAL_HOOK_TIMEOUT="30")
    assert done.returncode == 0, done.stderr


def test_an_alias_runs_its_command_as_the_configuration_renders_it(project: Path) -> None:
    """ERB in an alias: the task runs the rendered command, not the raw text; and an ERB
    comment line does not hide the aliases."""
    config = project / "config/deploy.yml"
    config.write_text(
        "<%# the greeting comes from the environment %>\n"
        + config.read_text()
        + "  greet: server.exec \"echo <%= ENV.fetch('GREET', 'hi') %>\"\n"
    )
    assert "greet" in kamal(project, "--list").stdout
    done = kamal(project, "greet", "--dry-run", "--version", "v3", GREET="hello there")
    assert done.stdout.splitlines()[:2] == [
        "[192.0.2.1] echo hello there", "[192.0.2.2] echo hello there",
    ], done.stderr  # fmt: skip
