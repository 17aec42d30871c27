"""Local commands with a time limit: the whole process group dies on timeout."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kamal_tasks.local_process import ProcessTimedOut, run_process


def alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_output_and_status() -> None:
    done = run_process("echo out; echo err >&2; exit 3", timeout=10)
    assert (done.exited, done.stdout, done.stderr) == (3, "out\n", "err\n")


def test_env_and_cwd(tmp_path: Path) -> None:
    done = run_process("echo $GREETING; pwd", timeout=10, env={"GREETING": "hi"}, cwd=tmp_path)
    assert done.stdout == f"hi\n{tmp_path}\n"


def test_no_stdin() -> None:
    assert run_process("cat", timeout=10).stdout == ""


def test_timeout_kills_every_process_of_the_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    with pytest.raises(ProcessTimedOut):
        run_process(
            f"sleep 300 & echo $! >> {pids}; (sleep 300; true) & echo $! >> {pids}; wait",
            timeout=0.3,
        )
    assert time.monotonic() - started < 8
    deadline = time.monotonic() + 5
    numbers = [int(line) for line in pids.read_text().split()]
    while any(alive(pid) for pid in numbers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in numbers)


def test_exit_while_a_child_holds_the_output_open_is_a_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(ProcessTimedOut):
        run_process("sleep 300 &", timeout=0.3)
    assert time.monotonic() - started < 8


def test_no_limit() -> None:
    assert run_process("echo ok", timeout=None).stdout == "ok\n"
