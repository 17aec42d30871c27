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


def test_a_stop_request_is_passed_on_to_the_group(tmp_path: Path) -> None:
    asked = {"stop": None}
    started = time.monotonic()

    def on_stop() -> str | None:
        if time.monotonic() - started > 0.3:
            asked["stop"] = "SIGTERM"
        return asked["stop"]

    trap = f"trap 'echo got TERM > {tmp_path}/seen; exit 143' TERM; sleep 30 & wait"
    done = run_process(trap, timeout=20, on_stop=on_stop)
    assert time.monotonic() - started < 10
    assert done.exited == 143
    assert (tmp_path / "seen").read_text() == "got TERM\n"


def test_a_stop_request_still_waits_for_the_command_to_end() -> None:
    done = run_process("trap '' INT; sleep 0.5; echo done", timeout=10, on_stop=lambda: "SIGINT")
    assert (done.exited, done.stdout) == (0, "done\n")


def test_a_stop_request_does_not_lift_the_time_limit() -> None:
    with pytest.raises(ProcessTimedOut):
        run_process("trap '' INT; sleep 30", timeout=0.5, on_stop=lambda: "SIGINT")


def test_after_a_stop_what_the_command_left_running_is_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    done = run_process(
        f"trap 'exit 1' INT; sleep 30 & echo $! > {pids}; wait",
        timeout=20,
        on_stop=lambda: "SIGINT" if time.monotonic() - started > 0.3 else None,
    )
    assert time.monotonic() - started < 10
    assert done.exited == 1
    deadline = time.monotonic() + 5
    while alive(int(pids.read_text())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(int(pids.read_text()))
