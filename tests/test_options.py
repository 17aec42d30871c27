"""Global options: flags win over Invoke config ``kamal.*`` (files or INVOKE_KAMAL_* variables)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import kamal
from invoke import Config as InvokeConfig

from kamal_tasks.options import COMMON_OPTIONS, DEFAULT_CONFIG_FILE, SETTINGS, Options

DEPLOY_YML = """\
service: app
image: dhh/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: pw
"""


def test_defaults() -> None:
    assert Options.resolve({}, None) == Options(
        destination=None,
        hosts=None,
        roles=None,
        primary=False,
        config_file="config/deploy.yml",
        skip_hooks=False,
        verbose=False,
        quiet=False,
        version=None,
        dry_run=False,
        env_command_timeout=60.0,
        hook_timeout=600.0,
    )
    assert DEFAULT_CONFIG_FILE == "config/deploy.yml"


def test_every_option_is_a_field() -> None:
    assert sorted([*COMMON_OPTIONS, *SETTINGS]) == sorted(Options.__dataclass_fields__)


def test_flags_are_taken() -> None:
    flags = {"destination": "staging", "hosts": "a,b", "primary": True, "version": "v1"}
    options = Options.resolve(flags, None)
    assert (options.destination, options.hosts, options.primary, options.version) == (
        "staging",
        "a,b",
        True,
        "v1",
    )


def test_settings_fill_in_missing_flags() -> None:
    settings = {"destination": "staging", "roles": "web", "config_file": "deploy/k.yml"}
    options = Options.resolve({"destination": None, "roles": None}, settings)
    assert (options.destination, options.roles, options.config_file) == (
        "staging",
        "web",
        "deploy/k.yml",
    )


def test_flags_win_over_settings() -> None:
    settings = {"destination": "staging", "hosts": "x", "verbose": True}
    options = Options.resolve({"destination": "production", "hosts": "y"}, settings)
    assert (options.destination, options.hosts, options.verbose) == ("production", "y", True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
    ],
)
def test_bool_strings_from_settings(text: str, value: bool) -> None:
    options = Options.resolve({}, {"verbose": text, "dry_run": text, "skip_hooks": text})
    assert (options.verbose, options.dry_run, options.skip_hooks) == (value, value, value)


def test_empty_and_none_settings_are_ignored() -> None:
    options = Options.resolve({}, {"config_file": "", "destination": None})
    assert (options.config_file, options.destination) == ("config/deploy.yml", None)


def test_string_settings_are_not_coerced() -> None:
    assert Options.resolve({}, {"version": "true"}).version == "true"


def test_invoke_config_proxy_as_settings() -> None:
    config = InvokeConfig(overrides={"kamal": {"destination": "staging", "quiet": "yes"}})
    options = Options.resolve({"destination": None}, config.get("kamal"))
    assert (options.destination, options.quiet) == ("staging", True)


# --- through the program ------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    (tmp_path / "config/deploy.staging.yml").write_text("servers:\n  - 3.3.3.3\n")
    (tmp_path / "config/deploy.production.yml").write_text("servers:\n  - 4.4.4.4\n")
    return tmp_path


def summary(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("version:", "destination:"))]


def test_settings_from_invoke_env_variables(project: Path) -> None:
    done = kamal(project, "config", INVOKE_KAMAL_DESTINATION="staging", INVOKE_KAMAL_VERSION="v9")
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout) == ["version: v9", "destination: staging"]
    assert "primary_host: 3.3.3.3" in done.stdout.splitlines()


def test_flags_win_over_invoke_env_variables(project: Path) -> None:
    done = kamal(
        project,
        "config",
        "--destination",
        "production",
        "--version",
        "v2",
        INVOKE_KAMAL_DESTINATION="staging",
        INVOKE_KAMAL_VERSION="v9",
    )
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout) == ["version: v2", "destination: production"]
    assert "primary_host: 4.4.4.4" in done.stdout.splitlines()


def test_config_file_from_invoke_env_variable(project: Path) -> None:
    (project / "other.yml").write_text(DEPLOY_YML.replace("service: app", "service: other"))
    done = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_CONFIG_FILE="other.yml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "service: other"


def test_quiet_from_invoke_env_variable_hides_warnings(project: Path) -> None:
    (project / ".env").write_text("A=1\n")
    loud = kamal(project, "config", "--version", "v1")
    assert loud.stderr == (
        "WARNING: Loading env from the project root .env files is deprecated: "
        "move them to .kamal/\n"
    )
    quiet = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_QUIET="true")
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_quiet_false_from_invoke_env_variable_is_false(project: Path) -> None:
    (project / ".env").write_text("A=1\n")
    done = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_QUIET="false")
    assert done.returncode == 0
    assert done.stderr.startswith("WARNING: Loading env from the project root")
