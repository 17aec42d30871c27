"""The deploy lock around a flow: acquired on the primary host, released on every way out."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import lock as lock_commands
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner, responses
from kamal_tasks.errors import HostFailure, HostsFailed, LockHeld
from kamal_tasks.flows import lock
from kamal_tasks.options import Options
from kamal_tasks.output import Output

RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {"web": ["1.1.1.1", "1.1.1.2"], "workers": ["1.1.1.3"]},
    "registry": {"username": "user", "password": "pw"},
}
PRIMARY = "1.1.1.1"
DETAILS = "Locked by: alice at 2024-01-01T00:00:00Z\nVersion: 999\nMessage: Deploying 999"
ENSURE = "mkdir -p .kamal/locks"
RELEASE = "rm .kamal/locks/app/details && rm -r .kamal/locks/app"
STATUS = "stat .kamal/locks/app > /dev/null && cat .kamal/locks/app/details | base64 -d"


def make_k(
    tmp_path: Path, responder: Callable[[str, str], Any] | None = None
) -> tuple[KamalContext, DryRunner, io.StringIO]:
    errors = io.StringIO()
    runner = DryRunner(Output(stream=io.StringIO(), errors=errors), responder=responder,
                       echo=False)  # fmt: skip
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    k._config = Config(RAW, version="999", env_values={})
    k.sleep = lambda seconds: None
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    return k, runner, errors


def acquire_command() -> str:
    encoded = base64.b64encode(DETAILS.encode()).decode()
    return (
        f'{ENSURE} && mkdir .kamal/locks/app && (echo "{encoded}" > .kamal/locks/app/details'
        " || (rm -rf .kamal/locks/app ; false))"
    )


def test_commands_match_the_lock_module(tmp_path: Path) -> None:
    k, _, _ = make_k(tmp_path)
    assert lock_commands.ensure_locks_directory(k.config) == ENSURE
    assert lock_commands.release(k.config) == RELEASE
    assert lock_commands.status(k.config) == STATUS


def test_held_acquires_on_primary_and_releases_after_success(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path)
    with lock.held(k, "Deploying 999"):
        runner.run(k.config.hosts, "docker ps")
    assert runner.commands == [
        (PRIMARY, acquire_command()),
        ("1.1.1.1", "docker ps"),
        ("1.1.1.2", "docker ps"),
        ("1.1.1.3", "docker ps"),
        (PRIMARY, RELEASE),
    ]


def test_held_releases_after_a_failing_step(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path, responses({r"^docker run": 1}))
    with pytest.raises(HostsFailed) as caught:
        with lock.held(k, "Deploying 999"):
            runner.run(["1.1.1.2"], "docker run app")
    assert caught.value.hosts == ["1.1.1.2"]
    assert runner.commands[-1] == (PRIMARY, RELEASE)
    assert runner.commands_on(PRIMARY) == [acquire_command(), RELEASE]


def test_held_releases_after_a_non_kamal_error(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with lock.held(k, "Deploying 999"):
            raise KeyboardInterrupt
    assert runner.commands[-1] == (PRIMARY, RELEASE)


def test_lock_found_reports_decoded_status_and_runs_nothing_else(tmp_path: Path) -> None:
    held_by = "Locked by: bob at 2023-12-31T23:00:00Z\nVersion: 998\nMessage: Deploying 998"
    k, runner, _ = make_k(
        tmp_path,
        responses({rf"^{re.escape(ENSURE)} && mkdir": 1, re.escape(STATUS): held_by + "\n"}),
    )
    body_ran = False
    with pytest.raises(LockHeld) as caught:
        with lock.held(k, "Deploying 999"):
            body_ran = True
    assert not body_ran
    assert caught.value.details == held_by
    assert str(caught.value) == f"Deploy lock found\n{held_by}"
    # the lock is not ours: it is not released, and no other host was touched
    assert runner.commands == [
        (PRIMARY, acquire_command()),
        (PRIMARY, STATUS),
    ]


def test_release_failure_is_reported_without_hiding_the_deploy_error(tmp_path: Path) -> None:
    k, runner, errors = make_k(tmp_path, responses({r"^rm \.kamal/locks": 1, r"^docker run": 2}))
    with pytest.raises(HostsFailed) as caught:
        with lock.held(k):
            runner.run(["1.1.1.3"], "docker run app")
    assert caught.value.hosts == ["1.1.1.3"]
    assert caught.value.failures[0] == HostFailure("1.1.1.3", "docker run app", 2, "")
    assert "Could not release the deploy lock" in errors.getvalue()
    assert runner.commands[-1] == (PRIMARY, RELEASE)


def test_status_is_none_when_free(tmp_path: Path) -> None:
    k, runner, _ = make_k(tmp_path, responses({re.escape(STATUS): 1}))
    assert lock.status(k) is None
    assert runner.commands == [(PRIMARY, STATUS)]


def test_a_failed_release_after_a_successful_block_is_the_error(tmp_path: Path) -> None:
    k, _, _ = make_k(tmp_path, responses({r"^rm \.kamal/locks/app/details": 1}))

    with pytest.raises(HostsFailed) as raised, lock.held(k, "msg"):
        pass

    assert raised.value.hosts == ["1.1.1.1"]
