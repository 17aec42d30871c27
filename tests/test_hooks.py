"""Hooks: real executable scripts run through Invoke; a dry run only prints them."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import invoke
import pytest

from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.configuration.sshkit import Sshkit
from kamal_tasks.dry_run import DryRunner, responses
from kamal_tasks.errors import HookFailed, KamalError
from kamal_tasks.hooks import HOOK_NAMES, HookNotExecutable, hook_file, run_hook
from kamal_tasks.output import NORMAL, QUIET, Output
from kamal_tasks.ssh import SshRunner

HOOKS = ".kamal/hooks"


def write_hook(root: Path, name: str, body: str, *, executable: bool = True) -> Path:
    path = root / HOOKS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory that is also the working directory, as for a task."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def real_runner(level: int = QUIET) -> tuple[SshRunner, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return SshRunner(Ssh(), Sshkit(), invoke.Context(), Output(level, out, err)), out, err


def test_hook_names() -> None:
    assert HOOK_NAMES == (
        "pre-init",
        "pre-connect",
        "pre-build",
        "post-push",
        "pre-deploy",
        "post-deploy",
        "pre-traefik-reboot",
        "post-traefik-reboot",
        "docker-setup",
    )


def test_hook_file_only_for_executables(root: Path) -> None:
    assert hook_file(HOOKS, "pre-build", root) is None
    write_hook(root, "pre-build", "true\n", executable=False)
    with pytest.raises(HookNotExecutable):
        hook_file(HOOKS, "pre-build", root)
    path = write_hook(root, "pre-build", "true\n")
    assert hook_file(HOOKS, "pre-build", root) == path
    (root / HOOKS / "pre-deploy").mkdir()
    assert hook_file(HOOKS, "pre-deploy", root) is None


def test_runs_an_executable_hook_with_its_env(root: Path) -> None:
    write_hook(
        root,
        "pre-deploy",
        'printf "%s %s" "$KAMAL_SERVICE" "$KAMAL_VERSION" > ran.txt\necho hook output\n',
    )
    runner, out, err = real_runner(NORMAL)
    env = {"KAMAL_SERVICE": "app", "KAMAL_VERSION": "v1"}
    assert run_hook(runner, HOOKS, "pre-deploy", env, root) is True
    assert (root / "ran.txt").read_text() == "app v1"
    assert err.getvalue() == "Running the pre-deploy hook...\n"
    assert out.getvalue() == ""


def test_missing_hook_is_skipped(root: Path) -> None:
    runner, _, err = real_runner(NORMAL)
    assert run_hook(runner, HOOKS, "post-deploy", {}, root) is False
    assert err.getvalue() == ""


def test_hook_without_its_execute_bit_is_an_error_naming_it(root: Path) -> None:
    write_hook(root, "pre-build", "touch ran.txt\n", executable=False)
    runner, _, err = real_runner(NORMAL)
    with pytest.raises(HookNotExecutable) as raised:
        run_hook(runner, HOOKS, "pre-build", {}, root)
    assert str(raised.value) == (
        "Hook pre-build is not executable: chmod +x .kamal/hooks/pre-build"
    )
    assert not (root / "ran.txt").exists()
    assert err.getvalue() == ""


def test_failing_hook_raises_with_its_output(root: Path) -> None:
    write_hook(root, "pre-build", "echo 'CI is red'\necho 'see build 12' >&2\nexit 1\n")
    runner, _, _ = real_runner()
    with pytest.raises(HookFailed) as raised:
        run_hook(runner, HOOKS, "pre-build", {}, root)
    error = raised.value
    assert isinstance(error, KamalError)
    assert error.name == "pre-build"
    assert str(error) == "Hook `pre-build` failed:\nCI is red\nsee build 12"


def test_hook_failed_message_without_output() -> None:
    assert str(HookFailed("pre-connect")) == "Hook `pre-connect` failed:"


def test_custom_hooks_path(root: Path) -> None:
    path = root / "bin" / "hooks" / "pre-connect"
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\ntouch connected.txt\n")
    path.chmod(0o755)
    runner, _, _ = real_runner()
    assert run_hook(runner, "bin/hooks", "pre-connect", {}, root) is True
    assert (root / "connected.txt").exists()


def test_dry_run_prints_the_hook_and_does_not_run_it(root: Path) -> None:
    write_hook(root, "pre-deploy", "touch ran.txt\n")
    out = io.StringIO()
    runner = DryRunner(Output(QUIET, out, io.StringIO()))
    assert run_hook(runner, HOOKS, "pre-deploy", {"KAMAL_VERSION": "v1"}, root) is True
    assert out.getvalue() == "[local] .kamal/hooks/pre-deploy\n"
    assert runner.commands == [("local", ".kamal/hooks/pre-deploy")]
    assert not (root / "ran.txt").exists()


def test_dry_run_skips_a_missing_hook(root: Path) -> None:
    runner = DryRunner(Output(QUIET, io.StringIO(), io.StringIO()))
    assert run_hook(runner, HOOKS, "pre-deploy", {}, root) is False
    assert runner.commands == []


def test_scripted_failure_in_a_dry_run(root: Path) -> None:
    write_hook(root, "pre-build", "true\n")
    runner = DryRunner(Output(QUIET, io.StringIO()), responses({"pre-build": 1}))
    with pytest.raises(HookFailed) as raised:
        run_hook(runner, HOOKS, "pre-build", {}, root)
    assert str(raised.value) == "Hook `pre-build` failed:"


def test_absolute_hooks_path(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("shared-hooks")
    hook = elsewhere / "pre-build"
    hook.write_text(f"#!/bin/sh\ntouch {root / 'ran.txt'}\n")
    hook.chmod(0o755)
    runner, _, _ = real_runner()
    assert run_hook(runner, str(elsewhere), "pre-build", {}, root) is True
    assert (root / "ran.txt").exists()


def test_hook_runs_from_root_when_cwd_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write_hook(project, "pre-build", "touch ran.txt\n")
    monkeypatch.chdir(tmp_path)
    runner, _, _ = real_runner()
    assert run_hook(runner, HOOKS, "pre-build", {}, project) is True
    assert (project / "ran.txt").exists() or (tmp_path / "ran.txt").exists()


def test_hook_does_not_leak_kamal_variables_it_was_not_given(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("KAMAL_"):
            monkeypatch.delenv(name)
    write_hook(root, "pre-init", "env | grep '^KAMAL_' > seen.txt; true\n")
    runner, _, _ = real_runner()
    assert run_hook(runner, HOOKS, "pre-init", {}, root) is True
    assert (root / "seen.txt").read_text() == ""


def write_user_hook(home: Path, name: str, body: str) -> Path:
    """An executable hook in ``HOME/.kamal/hooks``."""
    path = home / ".kamal" / "hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``HOME`` for this test."""
    path = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(path))
    return path


def test_a_hook_only_in_the_users_home_runs(root: Path, home: Path) -> None:
    path = write_user_hook(home, "post-push", f"touch {root / 'ran.txt'}\n")
    assert hook_file(HOOKS, "post-push", root) == path
    runner, _, _ = real_runner()
    assert run_hook(runner, HOOKS, "post-push", {}, root) is True
    assert (root / "ran.txt").exists()


def test_the_projects_hook_wins_over_the_users(root: Path, home: Path) -> None:
    write_user_hook(home, "pre-deploy", "touch user.txt\n")
    project = write_hook(root, "pre-deploy", "touch project.txt\n")
    assert hook_file(HOOKS, "pre-deploy", root) == project
    runner, _, _ = real_runner()
    run_hook(runner, HOOKS, "pre-deploy", {}, root)
    assert (root / "project.txt").exists() and not (root / "user.txt").exists()


def test_the_users_hooks_are_found_whatever_the_hooks_path(root: Path, home: Path) -> None:
    path = write_user_hook(home, "pre-build", "true\n")
    assert hook_file("bin/hooks", "pre-build", root) == path
    assert hook_file(HOOKS, "pre-deploy", root) is None


def test_dry_run_names_the_users_hook_file(root: Path, home: Path) -> None:
    path = write_user_hook(home, "pre-deploy", f"touch {root / 'ran.txt'}\n")
    out = io.StringIO()
    runner = DryRunner(Output(QUIET, out, io.StringIO()))
    assert run_hook(runner, HOOKS, "pre-deploy", {}, root) is True
    assert out.getvalue() == f"[local] {path}\n"
    assert not (root / "ran.txt").exists()


def test_cli_dry_run_prints_the_hook_files_from_both_places(root: Path, home: Path) -> None:
    from cli import kamal

    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(
        "service: app\nimage: app\nservers: [1.1.1.1]\n"
        "registry: {username: u, password: p}\nbuilder: {multiarch: false}\n"
    )
    write_hook(root, "pre-build", "touch ran.txt\n")
    user_hook = write_user_hook(home, "post-push", f"touch {root / 'ran.txt'}\n")
    done = kamal(root, "build.push", "--dry-run", "--version", "v1", HOME=str(home))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[local] .kamal/hooks/pre-build"
    assert lines[-1] == f"[local] {user_hook}"
    assert not (root / "ran.txt").exists()


def test_a_users_pre_init_hook_runs_before_the_config_is_read(root: Path, home: Path) -> None:
    from cli import kamal

    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(
        "service: app\nimage: app\nservers: [1.1.1.1]\nregistry: {username: u, password: p}\n"
    )
    write_user_hook(home, "pre-init", f"echo from-home > {root / 'pre-init-ran'}\n")
    done = kamal(root, "config", "--version", "v1", HOME=str(home))
    assert done.returncode == 0, done.stderr
    assert (root / "pre-init-ran").read_text() == "from-home\n"


@pytest.mark.parametrize("timeout", [None, 30])
def test_a_hook_runs_in_a_process_group_of_its_own_with_or_without_a_limit(
    root: Path, timeout: float | None
) -> None:
    """Its own group: a stop request reaches it, a timeout kills it whole (None: no limit)."""
    write_hook(root, "pre-deploy", "ps -o pgid= -p $$ > pgid.txt\n")
    runner, _, _ = real_runner()
    assert run_hook(runner, HOOKS, "pre-deploy", {}, root, timeout=timeout) is True
    assert int((root / "pgid.txt").read_text()) != os.getpgrp()


def test_the_hooks_path_is_peeked_past_erb_that_needs_the_env_files(tmp_path: Path) -> None:
    """pre-init runs before .kamal/.env is read: an ENV.fetch of a value set there must not
    fail the peek (the full load, after the env files, renders it)."""
    from kamal_tasks.context import peek_hooks_path

    config = tmp_path / "deploy.yml"
    config.write_text('image: <%= ENV.fetch("NOT_SET_YET_X") %>\nhooks_path: my/hooks\n')
    assert peek_hooks_path(config) == ".kamal/hooks"
    config.write_text("image: app\nhooks_path: my/hooks\n")
    assert peek_hooks_path(config) == "my/hooks"
