"""Kamal's short flags, the same on every task that has the option; ``-h`` stays help."""

from __future__ import annotations

import os

import pytest
from invoke import Program

from kamal_tasks import ns
from kamal_tasks.options import SHORT_FLAGS, TASK_SHORT_FLAGS

#: Task -> the short flags Kamal 1.9.3 gives its options (besides the global ones).
KAMAL_SHORT_FLAGS = {
    "deploy": {"P": "skip-push"},
    "redeploy": {"P": "skip-push"},
    "setup": {"P": "skip-push"},
    "remove": {"y": "yes"},
    "app.exec": {"i": "interactive", "e": "env"},
    "app.logs": {"s": "since", "n": "lines", "g": "grep", "o": "grep-options", "f": "follow"},
    "accessory.exec": {"i": "interactive"},
    "accessory.logs": {"s": "since", "n": "lines", "g": "grep", "o": "grep-options",
                       "f": "follow"},
    "accessory.remove": {"y": "yes"},
    "traefik.logs": {"s": "since", "n": "lines", "g": "grep", "o": "grep-options",
                     "f": "follow"},
    "traefik.reboot": {"y": "yes"},
    "server.exec": {"i": "interactive"},
    "lock.acquire": {"m": "message"},
    "registry.login": {"L": "skip-local", "R": "skip-remote"},
    "registry.logout": {"L": "skip-local", "R": "skip-remote"},
}  # fmt: skip


def task_help(name: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as raised:
        Program(namespace=ns, name="inv", binary="inv").run(["inv", "--help", name])
    assert raised.value.code in (0, None)
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(KAMAL_SHORT_FLAGS))
def test_help_shows_kamals_short_flags(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("INVOKE_"):
            monkeypatch.delenv(key)
    text = task_help(name, capsys)
    for short, long in KAMAL_SHORT_FLAGS[name].items():
        assert any(
            f"-{short}{value}, --{long}{assigned}" in text
            for value, assigned in (("", ""), (" STRING", "=STRING"), (" INT", "=INT"))
        ), (
            name,
            short,
        )
    assert "-d STRING, --destination=STRING" in text
    assert " -h" not in text.split("Options:")[1].replace("--", "")


@pytest.mark.parametrize("name", sorted(ns.task_names))
def test_every_task_option_of_a_kamal_name_gets_kamals_short_flag(name: str) -> None:
    for argument in ns[name].get_arguments():
        long = argument.name
        shorts = [n for n in argument.names if len(n) == 1]
        expected = TASK_SHORT_FLAGS.get(long) or SHORT_FLAGS.get(long)
        if expected:
            assert shorts == [expected], (name, long)
        else:
            assert "h" not in shorts, (name, long)
    all_names = [n for argument in ns[name].get_arguments() for n in argument.names]
    assert len(all_names) == len(set(all_names)), name


def test_other_tasks_keep_their_own_short_flags(capsys: pytest.CaptureFixture[str]) -> None:
    text = task_help("docs", capsys)
    assert "-s STRING, --section=STRING" in text
    assert "-o STRING, --output=STRING" in text


def test_short_flags_reach_the_task(capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config").mkdir()
        (Path(tmp) / "config/deploy.yml").write_text(
            "service: app\nimage: dhh/app\nservers: [192.0.2.1]\n"
            "registry: {username: u, password: p}\n"
        )
        done = subprocess.run(
            [sys.executable, "-m", "kamal_tasks", "registry.logout", "-L", "--dry-run",
             "--version", "v1"],
            cwd=tmp, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "[192.0.2.1] docker logout\n"), done.stderr
