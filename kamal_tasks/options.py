"""The options every task takes (Kamal's global options), from flags or Invoke config."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from kamal_tasks import errors

#: name -> (default, help). Settings may also come from Invoke config under ``kamal``
#: (``invoke.yaml`` or ``INVOKE_KAMAL_<NAME>``); flags win.
COMMON_OPTIONS: dict[str, tuple[Any, str]] = {
    "destination": (None, "Destination: merges config/deploy.<dest>.yml, loads .kamal/.env.<dest>"),
    "hosts": (None, "Only these hosts (comma list, * wildcards)"),
    "roles": (None, "Only these roles (comma list, * wildcards)"),
    "primary": (False, "Only the primary host"),
    "config_file": (None, "Configuration file (default config/deploy.yml)"),
    "skip_hooks": (False, "Don't run hooks"),
    "verbose": (False, "Show every command and its output"),
    "quiet": (False, "Show only errors"),
    "version": (None, "The app version to act on (default: VERSION, else the git SHA)"),
    "dry_run": (False, "Print every command instead of running it; connect nowhere"),
}

#: Kamal's short flags for the global options (``-h`` stays Invoke's help).
SHORT_FLAGS = {
    "destination": "d",
    "roles": "r",
    "primary": "p",
    "config_file": "c",
    "skip_hooks": "H",
    "verbose": "v",
    "quiet": "q",
}

#: Kamal's short flags for task options, wherever a task has an option of that name.
TASK_SHORT_FLAGS = {
    "skip_push": "P",
    "lines": "n",
    "env": "e",
    "interactive": "i",
    "follow": "f",
    "since": "s",
    "grep": "g",
    "grep_options": "o",
    "yes": "y",
    "message": "m",
    "skip_local": "L",
    "skip_remote": "R",
}

DEFAULT_CONFIG_FILE = "config/deploy.yml"

#: Settings with no flag, only Invoke config ``kamal.<name>`` (they apply before
#: ``deploy.yml`` is read): name -> (default, help). Time limits in seconds; 0 means none.
SETTINGS: dict[str, tuple[Any, str]] = {
    "env_command_timeout": (60.0, "Seconds each $(command) in a .env file may run"),
    "hook_timeout": (600.0, "Seconds a hook may run"),
}


@dataclass(frozen=True)
class Options:
    """Resolved global options for one task call."""

    destination: str | None = None
    hosts: str | None = None
    roles: str | None = None
    primary: bool = False
    config_file: str = DEFAULT_CONFIG_FILE
    skip_hooks: bool = False
    verbose: bool = False
    quiet: bool = False
    version: str | None = None
    dry_run: bool = False
    env_command_timeout: float | None = SETTINGS["env_command_timeout"][0]
    hook_timeout: float | None = SETTINGS["hook_timeout"][0]

    @classmethod
    def resolve(cls, flags: dict[str, Any], settings: Any) -> Options:
        """Flags given on the command line win over Invoke config ``kamal.*`` settings.

        Raises ``InvalidSetting`` for a time limit that is not a number of seconds.
        """
        values: dict[str, Any] = {}
        for option in fields(cls):
            flag = flags.get(option.name)
            if flag not in (None, False):
                values[option.name] = flag
            elif settings is not None and settings.get(option.name) not in (None, ""):
                values[option.name] = _coerce(option.name, settings.get(option.name))
        return cls(**values)


def _coerce(name: str, value: Any) -> Any:
    default = Options.__dataclass_fields__[name].default
    if isinstance(default, bool) and isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    if name in SETTINGS:
        return seconds_limit(name, value)
    return value


def seconds_limit(name: str, value: Any) -> float | None:
    """A time limit in seconds from a setting (a number, or a string from an env variable);
    0 means no limit (None)."""
    expected = "should be a number of seconds (0 for no limit)"
    if isinstance(value, bool):
        raise errors.InvalidSetting(name, value, expected)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise errors.InvalidSetting(name, value, expected) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise errors.InvalidSetting(name, value, expected)
    return seconds or None
