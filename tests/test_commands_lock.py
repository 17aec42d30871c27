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
        f'mkdir .kamal/locks/app && echo "{encoded}" > .kamal/locks/app/details'
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
