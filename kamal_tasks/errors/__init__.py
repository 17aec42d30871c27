"""Every error class, in one place: each carries its data; the message is built in ``__str__``.

``base`` holds ``KamalError`` (reported as a clean message, exit 1); ``configuration`` what the
user gave us, ``remote`` what happened on the hosts, ``local`` what happened on this machine.
"""

from __future__ import annotations

from kamal_tasks.errors.base import (
    TAIL_LINES,
    KamalError,
    tail,
)
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
    CommandFailed,
    CommandTimedOut,
    ConnectFailed,
    ConnectionLost,
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

__all__ = [
    "AccessoryFileUnreadable",
    "AliasError",
    "BadCommandLine",
    "CommandFailed",
    "CommandSubstitutionFailed",
    "CommandTimedOut",
    "ConfigurationError",
    "ConnectFailed",
    "ConnectionLost",
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
