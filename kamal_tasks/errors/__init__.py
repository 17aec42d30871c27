"""Every error class, in one place: each carries its data; the message is built in ``__str__``.

``base`` holds ``KamalError`` (reported as a clean message, exit 1); ``configuration`` what the
user gave us, ``remote`` what happened on the hosts, ``local`` what happened on this machine.
Import from here (``from kamal_tasks.errors import HostsFailed``): each submodule loads on
first use, so ``inv --list`` pays for none it does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kamal_tasks.errors.base import TAIL_LINES, KamalError, tail

if TYPE_CHECKING:
    from kamal_tasks.errors.configuration import (
        CommandSubstitutionFailed,
        ConfigurationError,
        EnvFileError,
        ErbError,
        InvalidSetting,
        InvalidVersion,
        LoadingFailed,
        MissingSecret,
        MultilineSecret,
        NoMatch,
        UnknownAccessory,
        UnknownSection,
    )
    from kamal_tasks.errors.local import (
        AccessoryFileUnreadable,
        AliasError,
        BadCommandLine,
        FlagAsValue,
        HookFailed,
        HookNotExecutable,
        NotConfirmed,
        ProcessTimedOut,
        TimedOut,
    )
    from kamal_tasks.errors.remote import (
        BarrierClosed,
        CommandFailed,
        CommandTimedOut,
        ConnectFailed,
        ConnectionLost,
        ContainerUnhealthy,
        EnvFilesMissing,
        HostFailure,
        HostKeyChanged,
        HostKeyUnknown,
        HostsFailed,
        Interrupted,
        LockHeld,
        NoRunningContainer,
        PickOneHost,
        VersionUnavailable,
    )

#: Which submodule defines each error.
_HOMES = {
    "CommandSubstitutionFailed": "configuration",
    "ConfigurationError": "configuration",
    "EnvFileError": "configuration",
    "ErbError": "configuration",
    "InvalidSetting": "configuration",
    "InvalidVersion": "configuration",
    "LoadingFailed": "configuration",
    "MissingSecret": "configuration",
    "MultilineSecret": "configuration",
    "NoMatch": "configuration",
    "UnknownAccessory": "configuration",
    "UnknownSection": "configuration",
    "BarrierClosed": "remote",
    "CommandFailed": "remote",
    "ContainerUnhealthy": "remote",
    "CommandTimedOut": "remote",
    "ConnectFailed": "remote",
    "ConnectionLost": "remote",
    "EnvFilesMissing": "remote",
    "HostFailure": "remote",
    "HostKeyChanged": "remote",
    "HostKeyUnknown": "remote",
    "HostsFailed": "remote",
    "Interrupted": "remote",
    "LockHeld": "remote",
    "NoRunningContainer": "remote",
    "PickOneHost": "remote",
    "VersionUnavailable": "remote",
    "AccessoryFileUnreadable": "local",
    "AliasError": "local",
    "BadCommandLine": "local",
    "FlagAsValue": "local",
    "HookFailed": "local",
    "HookNotExecutable": "local",
    "NotConfirmed": "local",
    "ProcessTimedOut": "local",
    "TimedOut": "local",
}

__all__ = [
    "AccessoryFileUnreadable",
    "AliasError",
    "BadCommandLine",
    "BarrierClosed",
    "CommandFailed",
    "CommandSubstitutionFailed",
    "CommandTimedOut",
    "ConfigurationError",
    "ConnectFailed",
    "ConnectionLost",
    "ContainerUnhealthy",
    "EnvFileError",
    "EnvFilesMissing",
    "ErbError",
    "FlagAsValue",
    "HookFailed",
    "HookNotExecutable",
    "HostFailure",
    "HostKeyChanged",
    "HostKeyUnknown",
    "HostsFailed",
    "Interrupted",
    "InvalidSetting",
    "InvalidVersion",
    "KamalError",
    "LoadingFailed",
    "LockHeld",
    "MissingSecret",
    "MultilineSecret",
    "NoMatch",
    "NoRunningContainer",
    "NotConfirmed",
    "PickOneHost",
    "ProcessTimedOut",
    "TAIL_LINES",
    "TimedOut",
    "UnknownAccessory",
    "UnknownSection",
    "VersionUnavailable",
    "tail",
]


def __getattr__(name: str) -> Any:
    """Load the submodule that defines ``name`` on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
