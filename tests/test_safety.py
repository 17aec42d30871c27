"""Never act by mistake: help after a task name, flag-like positionals, ``--dry``, and the
confirmation asked by destructive tasks."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from cli import kamal
from invoke import Program

from kamal_tasks import ns
from kamal_tasks.prompt import NotConfirmed, confirm

DEPLOY_YML = """\
service: app
image: dhh/app
servers:
  - 192.0.2.1
  - 192.0.2.2
registry:
  username: user
  password: pw
accessories:
  db:
    image: mysql:8
    host: 192.0.2.9
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    return tmp_path


def program_output(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    for key in list(os.environ):
        if key.startswith("INVOKE_"):
            monkeypatch.delenv(key)
    monkeypatch.setattr("sys.argv", ["inv"])
    code = 0
    try:
        Program(namespace=ns, name="inv", binary="inv").run(["inv", *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", sorted(ns.task_names))
def test_help_after_the_task_name_is_the_tasks_help(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = program_output(["--help", name], capsys, monkeypatch)
    assert expected[0] == 0 and expected[1].startswith(f"Usage: inv [--core-opts] {name} ")
    assert program_output([name, "--help"], capsys, monkeypatch) == expected
    assert program_output([name, "-h"], capsys, monkeypatch) == expected


def test_positional_tasks_print_help_without_loading_anything(tmp_path: Path) -> None:
    for argv in (["rollback", "--help"], ["accessory.exec", "--help"], ["server.exec", "-h"]):
        done = kamal(tmp_path, *argv)  # no config/deploy.yml here: nothing may be loaded
        assert (done.returncode, done.stderr) == (0, ""), argv
        assert done.stdout.startswith(f"Usage: kamal-tasks [--core-opts] {argv[0]} [--options]")
        assert "--dry-run" in done.stdout


@pytest.mark.parametrize(
    "argv",
    [["lock.acquire", "-m", "--help"], ["app.logs", "--grep", "--help"]],
)
def test_help_taken_as_an_options_value_prints_help_and_does_nothing(
    tmp_path: Path, argv: list[str]
) -> None:
    """``lock.acquire -m --help`` took the lock with the message "--help"."""
    done = kamal(tmp_path, *argv)  # no config/deploy.yml here: acting would fail loudly
    assert (done.returncode, done.stderr) == (0, ""), argv
    assert done.stdout == kamal(tmp_path, "--help", argv[0]).stdout


def test_help_between_positionals(tmp_path: Path) -> None:
    done = kamal(tmp_path, "accessory.exec", "db", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout == kamal(tmp_path, "--help", "accessory.exec").stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rollback", "--versoin"], "rollback: ROLLBACK_VERSION may not start with '-' "
         "(got '--versoin'); see `inv --help rollback` for its flags"),
        (["app.exec", "-x"], "app.exec: COMMAND may not start with '-' (got '-x'); "
         "see `inv --help app.exec` for its flags"),
        (["accessory.remove", "--all"], "accessory.remove: NAME may not start with '-' "
         "(got '--all'); see `inv --help accessory.remove` for its flags"),
        (["accessory.exec", "db", "--reuse"], "accessory.exec: COMMAND may not start with '-' "
         "(got '--reuse'); see `inv --help accessory.exec` for its flags"),
    ],
)  # fmt: skip
def test_flag_like_positionals_are_refused(project: Path, argv: list[str], message: str) -> None:
    done = kamal(project, *argv, "--version", "v1")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"ERROR: {message}\n")


def test_invokes_own_dry_means_dry_run(project: Path) -> None:
    done = kamal(project, "--dry", "lock.status", "--version", "v1")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "[192.0.2.1] stat .kamal/locks/app > /dev/null && cat .kamal/locks/app/details | "
        "base64 -d\nThere is no deploy lock\n"
    )
    assert kamal(project, "-R", "lock.status", "--version", "v1").stdout == done.stdout


@pytest.mark.parametrize(
    ("argv", "task"),
    [(["remove"], "remove"), (["accessory.remove", "db"], "accessory.remove"),
     (["traefik.reboot"], "traefik.reboot"), (["traefik.reboot", "--rolling"], "traefik.reboot")],
)  # fmt: skip
def test_destructive_tasks_need_yes_without_a_terminal(
    project: Path, argv: list[str], task: str
) -> None:
    done = kamal(project, *argv, "--version", "v1")  # stdin is not a terminal here
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"ERROR: {task}: no terminal to ask on; pass --yes (-y) to confirm\n"


def test_destructive_tasks_go_ahead_with_yes(project: Path) -> None:
    done = kamal(project, "accessory.remove", "db", "-y", "--dry-run", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "[192.0.2.9] docker container stop app-db",
        "[192.0.2.9] docker container prune --force --filter label=service=app-db",
        "[192.0.2.9] docker image rm --force mysql:8",
        "[192.0.2.9] rm -rf app-db",
    ]


def test_traefik_reboot_holds_the_deploy_lock_and_rolls(project: Path) -> None:
    done = kamal(project, "traefik.reboot", "--yes", "--rolling", "--dry-run", "--version", "v1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        "[192.0.2.1] mkdir -p .kamal/locks && mkdir .kamal/locks/app && (echo "
    )
    assert lines[-1] == "[192.0.2.1] rm .kamal/locks/app/details && rm -r .kamal/locks/app"
    hosts = [line.split("]")[0][1:] for line in lines[1:-1]]
    assert hosts == sorted(hosts)  # host by host: every command on .1, then on .2
    assert "[192.0.2.2] docker container stop traefik" in lines


class FakeTerminal(io.StringIO):
    def __init__(self, text: str, tty: bool = True) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("answer", ["y\n", "yes\n", " Y \n", "YES\n"])
def test_confirm_accepts_yes(answer: str) -> None:
    stderr = io.StringIO()
    confirm("remove", "Sure?", stdin=FakeTerminal(answer), stderr=stderr)
    assert stderr.getvalue() == "Sure? [y/N] "


@pytest.mark.parametrize("answer", ["\n", "n\n", "no\n", "yess\n", ""])
def test_confirm_refuses_anything_else(answer: str) -> None:
    stderr = io.StringIO()
    with pytest.raises(NotConfirmed) as raised:
        confirm("remove", "Sure?", stdin=FakeTerminal(answer), stderr=stderr)
    assert str(raised.value) == "remove: not confirmed, nothing done"
    assert stderr.getvalue() == "Sure? [y/N] "


def test_confirm_without_a_terminal_asks_nothing() -> None:
    stderr = io.StringIO()
    with pytest.raises(NotConfirmed) as raised:
        confirm("remove", "Sure?", stdin=FakeTerminal("y\n", tty=False), stderr=stderr)
    assert str(raised.value) == "remove: no terminal to ask on; pass --yes (-y) to confirm"
    assert stderr.getvalue() == ""
    confirm("remove", "Sure?", yes=True, stdin=FakeTerminal("", tty=False), stderr=stderr)
    assert stderr.getvalue() == ""


@pytest.mark.parametrize(
    ("rolling", "groups"),
    [(True, [["192.0.2.1"], ["192.0.2.2"]]), (False, [["192.0.2.1", "192.0.2.2"]])],
)
def test_traefik_reboot_hooks_wrap_each_group(
    tmp_path: Path, rolling: bool, groups: list[list[str]]
) -> None:
    import yaml

    from kamal_tasks.configuration import Config
    from kamal_tasks.context import KamalContext
    from kamal_tasks.dry_run import DryRunner
    from kamal_tasks.flows import traefik
    from kamal_tasks.options import Options
    from kamal_tasks.output import Output

    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()), echo=False)
    k = KamalContext(None, Options(), runner=runner, root=tmp_path)
    k._config = Config(yaml.safe_load(DEPLOY_YML), version="v1", env_values={})
    seen: list[tuple[str, object]] = []

    def hook(name: str, *, runtime: float | None = None, hosts: list[str] | None = None) -> bool:
        seen.append((name, hosts))
        seen.append(("ran on", [h for h, _ in runner.commands]))
        runner.commands.clear()
        return True

    k.hook = hook  # type: ignore[method-assign]
    traefik.reboot(k, rolling=rolling)
    expected: list[tuple[str, object]] = []
    for group in groups:  # each group's 4 commands run between its pre and post hooks
        expected += [("pre-traefik-reboot", group), ("ran on", [])]
        expected += [("post-traefik-reboot", group), ("ran on", sorted(group * 4))]
    assert seen == expected
