"""The runner (dry run, parallel steps, failures), its errors and the output levels."""

from __future__ import annotations

import io
import threading
import time

import invoke
import pytest

from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.configuration.sshkit import Sshkit
from kamal_tasks.dry_run import DryRunner, responses
from kamal_tasks.errors import HostFailure, HostsFailed, KamalError, LockHeld, NoMatch
from kamal_tasks.output import NORMAL, QUIET, VERBOSE, Output
from kamal_tasks.runner import CommandFailed, Host, Result, Runner, host_failure
from kamal_tasks.ssh import ConnectionLost, SshRunner


def captured(level: int = NORMAL) -> tuple[Output, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Output(level, out, err), out, err


# --- dry run ------------------------------------------------------------------------------------


def test_dry_run_prints_and_records_every_command() -> None:
    output, out, _ = captured(QUIET)
    runner = DryRunner(output)
    results = runner.run(["h1", "h2"], "docker ps")
    runner.local("docker build .")
    # a dry run goes host by host, so its plan reads in a stable order
    assert out.getvalue() == "[h1] docker ps\n[h2] docker ps\n[local] docker build .\n"
    assert runner.commands == [
        ("h1", "docker ps"),
        ("h2", "docker ps"),
        ("local", "docker build ."),
    ]
    assert runner.commands_on("h1") == ["docker ps"]
    assert runner.commands_on("local") == ["docker build ."]
    assert results == {
        "h1": Result("h1", "docker ps"),
        "h2": Result("h2", "docker ps"),
    }
    assert runner.dry_run is True


def test_dry_run_commands_in_order_per_host() -> None:
    output, out, _ = captured()
    runner = DryRunner(output)

    def step(host: Host) -> str:
        host.run("one")
        host.upload("SECRET=1", ".kamal/env/x.env", shown="[REDACTED]")
        return host.run("two").stdout

    assert runner.on(["h1"], step) == {"h1": ""}
    assert out.getvalue() == ("[h1] one\n[h1] upload .kamal/env/x.env <<< [REDACTED]\n[h1] two\n")
    assert runner.commands_on("h1") == ["one", "upload .kamal/env/x.env <<< [REDACTED]", "two"]


def test_dry_run_without_echo_prints_nothing() -> None:
    output, out, _ = captured()
    runner = DryRunner(output, echo=False)
    runner.run(["h1"], "true")
    assert out.getvalue() == ""
    assert runner.commands == [("h1", "true")]


def test_responses_script_answers_by_regex() -> None:
    table = {
        r"^docker ps": "abc123\n",
        r"inspect .* health": Result("x", "y", stdout="healthy", exited=0),
        r"^test -e": 1,
        r"^whoami": lambda host, command: f"user-on-{host}",
    }
    runner = DryRunner(Output(QUIET, io.StringIO()), responses(table))
    host = runner.host("h1")
    assert host.run("docker ps -q").stdout == "abc123\n"
    assert host.run("docker inspect app health").stdout == "healthy"
    assert host.run("whoami").stdout == "user-on-h1"
    assert host.run("echo unmatched") == Result("h1", "echo unmatched")
    missing = host.run("test -e /x", warn=True)
    assert (missing.ok, missing.exited) == (False, 1)
    with pytest.raises(CommandFailed) as raised:
        host.run("test -e /x")
    assert raised.value.result == Result("h1", "test -e /x", exited=1)


def test_first_matching_response_wins() -> None:
    answer = responses({"a": "first", "ab": "second"})
    assert answer("h", "ab") == "first"
    assert answer("h", "zzz") is None


def test_dry_run_local_failure() -> None:
    runner = DryRunner(Output(QUIET, io.StringIO()), responses({"build": 2}))
    with pytest.raises(CommandFailed) as raised:
        runner.local("docker build .")
    assert str(raised.value) == "[local] `docker build .` exited 2"
    assert runner.local("docker build .", warn=True).exited == 2


# --- parallel steps -----------------------------------------------------------------------------


class KamalErrorForTest(KamalError):
    pass


class ThreadHost(Host):
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
        return Result(self.name, command)


class ThreadRunner(Runner):
    """The base Runner's own parallel ``on()`` (as SshRunner uses it), with trivial hosts."""

    def host(self, name: str) -> Host:
        return ThreadHost(name)


def test_on_runs_every_host_in_parallel() -> None:
    barrier = threading.Barrier(3, timeout=5)

    def step(host: Host) -> str:
        barrier.wait()  # only passes when all three run at once
        return host.name.upper()

    for runner in (ThreadRunner(), DryRunner(echo=False, parallel=True)):
        assert runner.on(["a", "b", "c"], step) == {"a": "A", "b": "B", "c": "C"}


def test_dry_run_is_sequential_by_default() -> None:
    runner = DryRunner(echo=False)
    seen: list[str] = []

    def step(host: Host) -> None:
        seen.append(f"start {host.name}")
        time.sleep(0.01)
        seen.append(f"end {host.name}")

    runner.on(["a", "b"], step)
    assert seen == ["start a", "end a", "start b", "end b"]


def test_on_runs_each_host_once() -> None:
    runner = DryRunner(Output(QUIET, io.StringIO()), echo=False)
    runner.run(["a", "b", "a"], "x")
    assert runner.commands == [("a", "x"), ("b", "x")]


@pytest.mark.parametrize("parallel", [True, False], ids=["parallel", "sequential"])
def test_failure_waits_for_every_host_and_lists_all_failures(parallel: bool) -> None:
    runner = DryRunner(
        Output(QUIET, io.StringIO()),
        responses({"fail-fast": 3, "fail-late": 4}),
        echo=False,
        parallel=parallel,
    )
    completed: list[str] = []
    started = time.monotonic()

    def step(host: Host) -> None:
        if host.name == "fast":
            host.run("fail-fast")
        elif host.name == "slow":
            time.sleep(0.3)
            completed.append("slow")
        else:
            time.sleep(0.15)
            host.run("fail-late")

    with pytest.raises(HostsFailed) as raised:
        runner.on(["fast", "slow", "late"], step)
    assert time.monotonic() - started >= 0.3
    assert completed == ["slow"]
    error = raised.value
    assert error.hosts == ["fast", "late"]
    assert error.failures == [
        HostFailure("fast", "fail-fast", 3, ""),
        HostFailure("late", "fail-late", 4, ""),
    ]
    assert str(error) == (
        "Failed on 2 host(s): fast, late\n"
        "  fast: `fail-fast` exited 3\n"
        "  late: `fail-late` exited 4"
    )


def test_threads_finish_before_the_error_is_raised() -> None:
    finished = threading.Event()

    def step(host: Host) -> None:
        if host.name == "bad":
            raise KamalErrorForTest("early")
        time.sleep(0.2)
        finished.set()

    with pytest.raises(HostsFailed) as raised:
        ThreadRunner().on(["bad", "good"], step)
    assert finished.is_set()
    assert str(raised.value) == "Failed on 1 host(s): bad\n  bad: early"


def test_failure_of_a_python_error_in_a_step() -> None:
    runner = DryRunner(Output(QUIET, io.StringIO()), echo=False)

    def step(host: Host) -> None:
        if host.name == "b":
            raise ValueError("boom")

    with pytest.raises(HostsFailed) as raised:
        runner.on(["a", "b"], step)
    assert str(raised.value) == "Failed on 1 host(s): b\n  b: ValueError: boom"


def test_single_host_failure_is_hosts_failed_too() -> None:
    runner = DryRunner(Output(QUIET, io.StringIO()), responses({".": 1}), echo=False)
    with pytest.raises(HostsFailed) as raised:
        runner.run(["only"], "false")
    assert raised.value.hosts == ["only"]


# --- errors ------------------------------------------------------------------------------------


def test_command_failed_message_keeps_the_last_ten_lines() -> None:
    output = "".join(f"line {n}\n" for n in range(1, 13))
    error = CommandFailed(Result("h1", "docker run x", stdout=output, stderr="", exited=125))
    assert str(error) == "[h1] `docker run x` exited 125\n" + "\n".join(
        f"line {n}" for n in range(3, 13)
    )
    assert isinstance(error, KamalError)


def test_host_failure_from_each_kind_of_error() -> None:
    failed = CommandFailed(Result("h", "docker ps", stdout="out\n", stderr="err\n", exited=1))
    assert host_failure("h", failed, "ignored") == HostFailure("h", "docker ps", 1, "out\nerr\n")
    # our own errors say what went wrong: the last command (maybe cleanup) is left out
    assert host_failure("h", LockHeld("held by x"), "mkdir lock") == HostFailure(
        "h", "", None, "", reason="Deploy lock found\nheld by x"
    )
    assert host_failure("h", ConnectionLost("h", "docker run x"), "docker run x") == HostFailure(
        "h", "", None, "", reason="lost the connection to h while running `docker run x`"
    )
    assert host_failure("h", KeyError("k"), "docker ps") == HostFailure(
        "h", "docker ps", None, "", reason="KeyError: 'k'"
    )
    assert host_failure("h", RuntimeError(), "") == HostFailure(
        "h", "", None, "", reason="RuntimeError"
    )
    nested = HostsFailed([HostFailure("x", "c", 2, "")])
    assert host_failure("h", nested, "last") == HostFailure(
        "h", "", None, "", reason="Failed on 1 host(s): x\n  x: `c` exited 2"
    )


def test_host_failure_text() -> None:
    failure = HostFailure("h1", "docker start", 1, "a\nb\n")
    assert str(failure) == "  h1: `docker start` exited 1\n    a\n    b"
    assert str(HostFailure("h1", "", None, "", reason="Timeout")) == "  h1: Timeout"
    assert str(HostFailure("h1", "docker pull x", None, "", reason="Line 1\nLine 2")) == (
        "  h1: Line 1\n    Line 2\n    (while running: docker pull x)"
    )
    assert str(HostFailure("h1", "", None, "")) == "  h1: failed"


def test_other_error_messages() -> None:
    assert str(LockHeld()) == "Deploy lock found"
    assert str(NoMatch("roles", "x")) == "No --roles match for x"


# --- local commands through Invoke --------------------------------------------------------------


def ssh_runner(level: int = QUIET) -> tuple[SshRunner, io.StringIO]:
    output, out, _ = captured(level)
    return SshRunner(Ssh(), Sshkit(), invoke.Context(), output), out


def test_local_command_through_invoke() -> None:
    runner, _ = ssh_runner()
    result = runner.local("echo out; echo err >&2", env={"X": "1"})
    assert result == Result("local", "echo out; echo err >&2", "out\n", "err\n", 0)
    assert runner.local('printf %s "$KAMAL_TEST_VAR"', env={"KAMAL_TEST_VAR": "v"}).stdout == "v"
    assert runner.local("cat", stdin="piped").stdout == "piped"


def test_local_failure_through_invoke() -> None:
    runner, _ = ssh_runner()
    with pytest.raises(CommandFailed) as raised:
        runner.local("echo bad; exit 3")
    assert str(raised.value) == "[local] `echo bad; exit 3` exited 3\nbad"
    result = runner.local("exit 4", warn=True)
    assert (result.ok, result.exited) == (False, 4)


def test_local_command_verbose_output() -> None:
    output, out, err = captured(VERBOSE)
    runner = SshRunner(Ssh(), Sshkit(), invoke.Context(), output)
    runner.local("echo one; echo two")
    assert out.getvalue() == ""
    assert err.getvalue() == ("  [local] $ echo one; echo two\n  [local]   one\n  [local]   two\n")


# --- output levels ------------------------------------------------------------------------------


def exercise(output: Output) -> None:
    output.info("info")
    output.host("h1", "host line")
    output.command("h1", "docker ps")
    output.command_output("h1", "a\nb")
    output.plan("h1", "planned")
    output.result("result")
    output.warning("careful")
    output.error("broken")


def test_quiet_shows_only_errors_and_results() -> None:
    output, out, err = captured(QUIET)
    exercise(output)
    assert out.getvalue() == "[h1] planned\nresult\n"
    assert err.getvalue() == "broken\n"


def test_normal_shows_steps_not_commands() -> None:
    output, out, err = captured(NORMAL)
    exercise(output)
    # progress goes to stderr; results and dry-run plans to stdout
    assert out.getvalue() == "[h1] planned\nresult\n"
    assert err.getvalue() == "info\n  [h1] host line\nWARNING: careful\nbroken\n"


def test_verbose_shows_commands_and_their_output() -> None:
    output, out, err = captured(VERBOSE)
    exercise(output)
    assert out.getvalue() == "[h1] planned\nresult\n"
    assert err.getvalue() == (
        "info\n  [h1] host line\n  [h1] $ docker ps\n  [h1]   a\n  [h1]   b\n"
        "WARNING: careful\nbroken\n"
    )


def test_output_lines_end_with_exactly_one_newline() -> None:
    output, out, err = captured(VERBOSE)
    output.result("text\n\n")
    output.command_output("h", "   \n")  # blank output is not shown
    assert out.getvalue() == "text\n"
    assert err.getvalue() == ""


def test_results_come_back_in_host_order_whatever_finishes_first() -> None:
    runner = DryRunner(Output(QUIET, io.StringIO()), echo=False, parallel=True)
    delays = {"a": 0.2, "b": 0.1, "c": 0.0}

    def step(host: Host) -> str:
        time.sleep(delays[host.name])
        return host.name

    assert list(runner.on(["a", "b", "c"], step)) == ["a", "b", "c"]
