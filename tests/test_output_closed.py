"""A closed output pipe (``inv deploy | head -1``): the first write that fails stops the run
quietly (``OutputClosed``, exit 141), later writes are dropped, and no host thread is left
waiting at the deployment barrier."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.flows import deploy as flows
from kamal_tasks.flows.dry_run import assume_success
from kamal_tasks.options import Options
from kamal_tasks.output import Output, OutputClosed


class ClosesOn(io.StringIO):
    """A stream whose reader goes away when a line containing ``text`` is written."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def write(self, data: str) -> int:
        if self.text in data:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(data)


def test_a_closed_stream_raises_once_then_drops_writes() -> None:
    stream = ClosesOn("second")
    output = Output(stream=stream, errors=io.StringIO())
    output.result("first")
    with pytest.raises(OutputClosed):
        output.result("second")
    output.result("third, dropped")
    output.plan("host", "second, dropped too")
    assert stream.getvalue() == "first\n"


def test_output_closed_is_no_hosts_failure() -> None:
    assert not issubclass(OutputClosed, Exception)


RAW: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {"web": ["1.1.1.1"], "workers": ["1.1.1.3"]},
    "registry": {"username": "user", "password": "pw"},
    "builder": {"multiarch": False},
}


def test_closing_during_the_primary_boot_leaves_no_role_waiting_at_the_barrier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stream = ClosesOn("docker run --detach --restart unless-stopped --name app-web-v1")
    runner = DryRunner(Output(stream=stream, errors=io.StringIO()), assume_success, parallel=True)
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    k._config = Config(RAW, version="v1")
    k.sleep = lambda seconds: None
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    raised: list[BaseException] = []

    def deploy() -> None:
        try:
            flows.deploy(k)
        except BaseException as error:  # noqa: BLE001 - what the thread ended with
            raised.append(error)

    thread = threading.Thread(target=deploy, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "a role is still waiting at the barrier"
    assert [type(error) for error in raised] == [OutputClosed]
    released = [c for h, c in runner.commands if h == "1.1.1.1" and c.startswith("rm ")]
    assert any(".kamal/locks/app" in c for c in released), "the lock was not released"
