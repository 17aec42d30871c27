"""Shared fixtures."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.configuration import Config

BASE_CONFIG: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": ["1.1.1.1", "1.1.1.2"],
    "registry": {"username": "user", "password": "pw"},
}


@pytest.fixture(autouse=True)
def no_user_hooks(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hooks are also looked up in ``~/.kamal/hooks``: give every test an empty ``HOME`` so the
    developer's own hooks never run (git still reads the real global config)."""
    gitconfig = Path.home() / ".gitconfig"
    if gitconfig.exists() and "GIT_CONFIG_GLOBAL" not in os.environ:
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def make_config() -> Callable[..., Config]:
    """Build a ``Config`` from the base config with top-level keys overridden (a ``None``
    value removes the key); ``version`` defaults to 999, no destination."""

    def make(version: str = "999", destination: str | None = None, **overrides: Any) -> Config:
        raw = copy.deepcopy(BASE_CONFIG)
        for key, value in overrides.items():
            if value is None:
                raw.pop(key, None)
            else:
                raw[key] = value
        return Config(raw, version=version, destination=destination)

    return make


@pytest.fixture
def docker_argv() -> Callable[[str], list[list[str]]]:
    """Run a built command through ``sh -c`` with ``docker`` replaced by a shell function that
    records its arguments; return each call's argv (to check quoting end to end)."""
    import subprocess

    def run(command: str) -> list[list[str]]:
        script = "docker() { for a; do printf '%s\\0' \"$a\"; done; printf '\\1'; }; " + command
        out = subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout
        calls = [call for call in out.decode().split("\1") if call]
        return [call.split("\0")[:-1] for call in calls]

    return run
