"""The deployment barrier: roles other than the primary wait at it before they boot.

It opens when a primary-role container turns healthy and closes if one fails first.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamal_tasks.runner import StopRequest


class Barrier:
    """Opens once a primary-role container is healthy; closes if one fails first."""

    def __init__(self) -> None:
        self._decided = threading.Event()
        self._opened = False
        self._lock = threading.Lock()

    def open(self) -> bool:
        """Open it; True for the call that actually opened it."""
        return self._decide(True)

    def close(self) -> bool:
        """Close it (unless already open); True for the call that actually closed it."""
        return self._decide(False)

    def _decide(self, opened: bool) -> bool:
        with self._lock:
            if self._decided.is_set():
                return False
            self._opened = opened
            self._decided.set()
            return True

    def wait(self, stop: StopRequest | None = None) -> bool:
        """Block until decided; True if open. A stop request ends the wait (``Interrupted``)."""
        while not self._decided.wait(0.1):
            if stop:
                stop.check()
        return self._opened
