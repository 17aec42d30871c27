"""Deploy lock commands, to the byte (and run against a scratch directory)."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime

from kamal_tasks.commands import lock

AT = datetime(2024, 1, 1, tzinfo=UTC)
DETAILS = "Locked by: alice at 2024-01-01T00:00:00Z\nVersion: 999\nMessage: Deploying"


def test_details(make_config):
    config = make_config()
    assert lock.details(config, message="Deploying", performer="alice", at=AT) == DETAILS
    assert lock.details(config, message=None, performer="bob", at=AT, version="1") == (
        "Locked by: bob at 2024-01-01T00:00:00Z\nVersion: 1\nMessage: "
    )


def test_commands(make_config):
    config = make_config()
    encoded = base64.b64encode(DETAILS.encode()).decode()
    assert lock.ensure_locks_directory(config) == "mkdir -p .kamal/locks"
    assert lock.acquire(config, DETAILS) == (
        f'mkdir .kamal/locks/app && (echo "{encoded}" > .kamal/locks/app/details'
        " || (rm -rf .kamal/locks/app ; false))"
    )
    assert lock.release(config) == "rm .kamal/locks/app/details && rm -r .kamal/locks/app"
    assert lock.status(config) == (
        "stat .kamal/locks/app > /dev/null && cat .kamal/locks/app/details | base64 -d"
    )


def test_with_destination(make_config):
    config = make_config(destination="staging")
    assert lock.release(config) == (
        "rm .kamal/locks/app-staging/details && rm -r .kamal/locks/app-staging"
    )
    assert lock.details_file(config) == ".kamal/locks/app-staging/details"


def test_lock_round_trip(tmp_path, make_config):
    config = make_config()
    text = lock.details(config, message="it's \"urgent\" $HOME `x` é\nsecond", performer="a",
                        at=AT)  # fmt: skip

    def sh(command):
        return subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True)

    assert sh(lock.status(config)).returncode != 0
    assert sh(lock.ensure_locks_directory(config)).returncode == 0
    assert sh(lock.acquire(config, text)).returncode == 0
    assert sh(lock.acquire(config, text)).returncode != 0  # already held
    assert sh(lock.status(config)).stdout.decode() == text
    assert sh(lock.release(config)).returncode == 0
    assert sh(lock.status(config)).returncode != 0


def _sh(command: str, cwd: object) -> int:
    import subprocess

    return subprocess.run(["sh", "-c", command], cwd=cwd, capture_output=True).returncode


def test_acquire_through_sh_takes_a_free_lock_and_never_removes_a_held_one(make_config, tmp_path):
    config = make_config()
    (tmp_path / ".kamal/locks").mkdir(parents=True)
    assert _sh(lock.acquire(config, DETAILS), tmp_path) == 0
    details = (tmp_path / ".kamal/locks/app/details").read_text()
    assert _sh(lock.acquire(config, "other"), tmp_path) != 0  # held: refused ...
    assert (tmp_path / ".kamal/locks/app/details").read_text() == details  # ... and kept


def test_acquire_that_cannot_write_its_details_leaves_no_lock(make_config, tmp_path):
    config = make_config()
    (tmp_path / ".kamal/locks").mkdir(parents=True)
    command = lock.acquire(config, DETAILS).replace("> .kamal/locks/app/details", "> /no/such/x")
    assert _sh(command, tmp_path) != 0
    assert not (tmp_path / ".kamal/locks/app").exists()
