"""Audit log commands, to the byte (and run against a scratch directory)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from kamal_tasks.commands import auditor

AT = datetime(2024, 1, 1, tzinfo=UTC)


def test_record_with_destination_and_role(make_config):
    config = make_config(destination="staging")
    command = auditor.record(config, "Booted app version 999", performer="alice", at=AT, role="web")
    assert command == (
        "mkdir -p .kamal && echo '[2024-01-01T00:00:00Z] [alice] [staging] [web] "
        '"Booted app version 999"\' >> .kamal/app-staging-audit.log'
    )


def test_record_without_destination_or_role(make_config):
    config = make_config(run_directory="state")
    assert auditor.record(config, "Pruned", performer="bob", at=AT) == (
        "mkdir -p state && echo '[2024-01-01T00:00:00Z] [bob] \"Pruned\"' >> state/app-audit.log"
    )


def test_record_with_backslash_uses_printf(make_config):
    command = auditor.record(make_config(), "a\\nb", performer="bob", at=AT)
    assert command == (
        "mkdir -p .kamal && printf '%s\\n' '[2024-01-01T00:00:00Z] [bob] \"a\\nb\"' "
        ">> .kamal/app-audit.log"
    )


def test_record_writes_line_byte_exact(tmp_path, make_config):
    config = make_config(destination="staging")
    messages = ['it\'s "quoted" $HOME `id` é 日本', "back\\slash \\n \\c", "plain"]
    for message in messages:
        command = auditor.record(config, message, performer="o'brien", at=AT, role="web")
        subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True)
    log = (tmp_path / ".kamal/app-staging-audit.log").read_text()
    assert log == "".join(
        f'[2024-01-01T00:00:00Z] [o\'brien] [staging] [web] "{message}"\n' for message in messages
    )


def test_reveal(make_config):
    assert auditor.reveal(make_config()) == "tail -n 50 .kamal/app-audit.log"
    assert auditor.reveal(make_config(destination="x"), 10) == ("tail -n 10 .kamal/app-x-audit.log")
