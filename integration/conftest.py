"""Fixtures for the integration suite: a session-wide local sandbox.

Set ``KAMAL_SANDBOX_KEEP=1`` to leave the sandbox running after the session
(the next session then starts in under a second).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

INTEGRATION_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under integration/ with ``pytest.mark.integration``."""
    for item in items:
        if INTEGRATION_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


def _docker_unavailable_reason() -> str | None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as error:  # any failure means: no engine to test against
        return f"no Docker engine answers ({error}); run scripts/setup-host.sh as root"
    return None


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """A running Sandbox with 3 servers; removed at the end (images and registry data kept)."""
    reason = _docker_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from integration.harness import Sandbox

    box = Sandbox(servers=3)
    box.up()
    yield box
    if os.environ.get("KAMAL_SANDBOX_KEEP") != "1":
        box.down()


@pytest.fixture(scope="module")
def clean_servers(sandbox: object) -> Iterator[object]:
    """The sandbox with every server emptied before and after the module (containers,
    volumes, ``/root/.kamal``), so modules neither see nor leave each other's deploys."""
    sandbox.reset_servers()
    yield sandbox
    sandbox.reset_servers()
