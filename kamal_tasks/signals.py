"""Stopping on SIGINT/SIGTERM: a shared ``StopRequest`` checked before each command.

The task wrapper installs ``stop_on_signals`` (main thread only); every host handle checks the
request before each remote command and upload, ``Runner.local`` before each local command and
``Runner.on`` before each host's step. Cleanup runs inside ``StopRequest.cleanup()``."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kamal_tasks import errors
from kamal_tasks.output import Output

#: The signals that stop a task, and the exit code each ends it with (128 + number).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_code(signal_name: str) -> int:
    """``130`` for SIGINT, ``143`` for SIGTERM: the shell's convention, 128 + the number."""
    return 128 + int(signal.Signals[signal_name])


class StopRequest:
    """The shared "stopping" flag: set once by a signal, checked at every command boundary.

    Python runs signal handlers on the main thread, and only once it gets the interpreter:
    meanwhile worker threads would go on starting commands. So while ``stop_on_signals``
    guards a block, the C-level handler also writes each signal's number to a pipe
    (``signal.set_wakeup_fd``) that ``check`` reads without blocking: a worker sees the
    signal at its very next command boundary, whichever thread handles it.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._local = threading.local()
        self._wakeup: int | None = None
        self.signal_name: str | None = None

    def request(self, signal_name: str, *, wake: bool = True) -> bool:
        """Ask every host to stop; True for the first request.

        ``wake=False`` (a signal handler) only sets the flag: waking ``sleep`` takes the
        Event's lock, which the interrupted main thread may be holding; ``wake()`` it from
        another thread."""
        if self.signal_name is not None:
            return False
        self.signal_name = signal_name
        if wake:
            self.wake()
        return True

    def pending_signal(self) -> str | None:
        """The name of the signal that asked for the stop, once one did (for ``on_stop``)."""
        return self.signal_name if self.requested else None

    def wake(self) -> None:
        """End a ``sleep`` in progress (the stop was already requested)."""
        self._event.set()

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for (a signal already delivered counts)."""
        self._read_wakeup()
        return self.signal_name is not None

    @property
    def in_cleanup(self) -> bool:
        """Whether this thread is running cleanup (which a stop lets through)."""
        return getattr(self._local, "cleanup", 0) > 0

    def check(self) -> None:
        """Raise ``Interrupted`` if a stop was asked for, unless this thread is cleaning up."""
        if self.requested and not self.in_cleanup:
            raise errors.Interrupted(self.signal_name or "a signal")

    @contextmanager
    def cleanup(self) -> Iterator[None]:
        """Run the block's commands even after a stop request (stop a container, release)."""
        self._local.cleanup = getattr(self._local, "cleanup", 0) + 1
        try:
            yield
        finally:
            self._local.cleanup -= 1

    def sleep(self, seconds: float) -> None:
        """Pause, waking up early when a stop is asked for."""
        self._event.wait(seconds)

    def _read_wakeup(self) -> None:
        fd = self._wakeup
        if fd is None or self.signal_name is not None:
            return
        try:
            received = os.read(fd, 64)
        except OSError:  # nothing there (EAGAIN), or the block just ended
            return
        for number in received:
            if number in STOP_SIGNALS:
                self.request(signal.Signals(number).name)
                return


@contextmanager
def stop_on_signals(stop: StopRequest, output: Output) -> Iterator[None]:
    """For the block, SIGINT/SIGTERM request a stop instead of killing the process.

    Only the main thread can install handlers (elsewhere the block runs unguarded); the
    previous handlers and wakeup fd come back afterwards. A second signal is reported, not
    obeyed: exiting then would leave the lock held, or release it while a host still boots.
    Call it only where no worker thread outlives the block (``Runner.on`` joins them all).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled: list[str] = []

    def handle(signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        stop.request(name, wake=False)  # no lock taken here: see request()
        handled.append(name)
        if len(handled) == 1:
            message = (
                f"{name} received: stopping. No new command starts; waiting for the commands "
                "in flight, then cleaning up and releasing the deploy lock..."
            )
        else:
            message = (
                f"{name} again: still stopping. Exiting as soon as the commands in flight have "
                "finished and the lock is released (not before)"
            )

        # The main thread may hold the output lock (or the Event's) right now: wake the
        # sleepers and print from another thread.
        def tell() -> None:
            stop.wake()
            output.error(message)

        threading.Thread(target=tell, daemon=True).start()

    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    previous_wakeup = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    stop._wakeup = read_end
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_wakeup)
        stop._wakeup = None
        for number, handler in previous.items():
            signal.signal(number, handler)
        os.close(read_end)
        os.close(write_end)
