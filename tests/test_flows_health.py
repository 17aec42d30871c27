"""The server-side waits, run through a real ``sh`` with a stub ``docker`` that answers
``docker inspect`` from a sequence file (one answer a line, the last one repeated)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kamal_tasks.commands import health as commands
from kamal_tasks.commands.base import Raw
from kamal_tasks.configuration import Config
from kamal_tasks.errors import ContainerUnhealthy
from kamal_tasks.flows import health
from kamal_tasks.runner import CommandFailed, Host, Result

STUB_DOCKER = r"""#!/bin/sh
echo "$*" >> "$STUB/calls"
case "$1" in
  inspect)
    case "$*" in
      *"json .State.Health"*) echo '{"Status":"unhealthy","FailingStreak":3}'; exit 0 ;;
      *".Mounts"*) cat "$STUB/mounts" 2>/dev/null; exit 0 ;;
    esac
    n=$(($(cat "$STUB/n" 2>/dev/null || echo 0) + 1)); echo "$n" > "$STUB/n"
    line=$(sed -n "${n}p" "$STUB/seq"); [ -n "$line" ] || line=$(tail -n 1 "$STUB/seq")
    if [ "$line" = gone ]; then echo "Error: No such object: $4" >&2; exit 1; fi
    while case "$line" in *NOW-*) true ;; *) false ;; esac; do  # NOW-<ms>: that long ago, in ns
      ms=${line#*NOW-}; ms=${ms%%[!0-9]*}
      line=$(echo "$line" | sed "s/NOW-$ms/$(( $(/bin/date +%s%N) - ms * 1000000 ))/")
    done
    echo "$line" ;;
  logs) echo "boom: cannot bind port 3000"; echo "second line" ;;
esac
"""


class Stub:
    """A directory with the stub ``docker`` and its sequence; runs commands through ``sh``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "bin").mkdir()
        docker = root / "bin" / "docker"
        docker.write_text(STUB_DOCKER)
        docker.chmod(0o755)
        sleep = root / "bin" / "sleep"  # records each sleep, then sleeps
        sleep.write_text('#!/bin/sh\necho "sleep $*" >> "$STUB/calls"\nexec /bin/sleep "$@"\n')
        sleep.chmod(0o755)

    def date_without_nanoseconds(self) -> None:
        """A ``date`` whose ``%N`` prints ``N`` (as some systems' do)."""
        date = self.root / "bin" / "date"
        date.write_text('#!/bin/sh\nexec /bin/date "$(echo "$1" | sed s/%N/N/)"\n')
        date.chmod(0o755)

    def sleeps(self) -> list[str]:
        return [call.removeprefix("sleep ") for call in self.calls() if call.startswith("sleep")]

    def inspect_calls(self) -> list[str]:
        return [call for call in self.calls() if not call.startswith("sleep")]

    def answers(self, *lines: str) -> Stub:
        (self.root / "seq").write_text("\n".join(lines) + "\n")
        return self

    def inspections(self) -> int:
        path = self.root / "n"
        return int(path.read_text()) if path.exists() else 0

    def calls(self) -> list[str]:
        path = self.root / "calls"
        return path.read_text().splitlines() if path.exists() else []

    def run(self, command: str) -> tuple[subprocess.CompletedProcess[str], float]:
        env = {**os.environ, "PATH": f"{self.root / 'bin'}:{os.environ['PATH']}"}
        env["STUB"] = str(self.root)
        started = time.monotonic()
        done = subprocess.run(
            ["sh", "-c", command], env=env, capture_output=True, text=True, timeout=30,
            cwd=self.root,
        )  # fmt: skip
        return done, time.monotonic() - started


class ShHost(Host):
    """A host whose commands run through the stub's ``sh``."""

    name = "h1"

    def __init__(self, stub: Stub) -> None:
        self.stub = stub
        self.commands: list[str] = []

    def run(self, command: str, *, warn: bool = False, stdin: str | None = None) -> Result:
        self.commands.append(command)
        done, _ = self.stub.run(command)
        result = Result(self.name, command, done.stdout, done.stderr, done.returncode)
        if not result.ok and not warn:
            raise CommandFailed(result)
        return result


@pytest.fixture
def stub(tmp_path: Path) -> Stub:
    return Stub(tmp_path)


def web_role(healthcheck: dict[str, Any] | None = None) -> Any:
    raw = {
        "service": "app",
        "image": "dhh/app",
        "servers": ["1.1.1.1"],
        "registry": {"username": "u", "password": "p"},
        "healthcheck": healthcheck or {},
    }
    return Config(raw, version="v2", env_values={}).role("web")


def healthy_wait(budget: float = 5, ready_after: float = 0) -> str:
    return commands.wait_for_healthy(
        "app-web-v2", budget=budget, ready_after=ready_after, poll=0.05, log_lines=7
    )


# --- wait_for_healthy: the script -------------------------------------------------------------


def test_healthy_is_seen_at_the_next_poll_and_each_change_is_printed_once(stub: Stub) -> None:
    stub.answers("created 0", "running 0 starting", "running 0 starting", "running 0 healthy")
    done, elapsed = stub.run(healthy_wait())
    assert done.returncode == 0, done
    assert done.stdout.splitlines() == [
        "status: created 0",
        "status: running 0 starting",
        "status: running 0 healthy",
        "healthy",
        "ago: 0",  # the stub's answers have no health log
    ]
    assert stub.inspections() == 4
    assert elapsed < 3.0  # 3 polls of 0.05 s (a back-off of 1 s, 2 s, 3 s: 6 s)
    assert all(
        call.split()[:3] == ["inspect", "--format", "{{.State.Status}}"]
        for call in stub.inspect_calls()
    )


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("restarting 1 starting", "crashed: restarting, restarted 1 times"),
        ("running 2 starting", "crashed: running, restarted 2 times"),
        ("exited 0 unhealthy", "crashed: exited, restarted 0 times"),
        ("dead 0", "crashed: dead, restarted 0 times"),
        ("gone", "crashed: gone, restarted 0 times"),
    ],
)
def test_a_crash_fails_the_wait_at_once_with_logs_and_health(
    stub: Stub, answer: str, verdict: str
) -> None:
    stub.answers("running 0 starting", answer)
    done, elapsed = stub.run(healthy_wait(budget=60))
    assert done.returncode == commands.CRASHED
    lines = done.stdout.splitlines()
    shown = "gone 0" if answer == "gone" else answer
    assert lines[:5] == [
        "status: running 0 starting",
        f"status: {shown}",
        verdict,
        "logs:",
        "boom: cannot bind port 3000",
    ]
    assert lines[-1] == 'health: {"Status":"unhealthy","FailingStreak":3}'
    assert "logs app-web-v2 --tail 7" in " ".join(stub.calls()) or any(
        call == "logs --tail 7 app-web-v2" for call in stub.calls()
    )
    assert stub.inspections() == 2 and elapsed < 3.0


def test_unhealthy_alone_is_not_a_crash_the_wait_goes_on_to_the_budget(stub: Stub) -> None:
    stub.answers("running 0 starting", "running 0 unhealthy")
    done, elapsed = stub.run(healthy_wait(budget=1))
    assert done.returncode == commands.TIMED_OUT
    assert "timeout: running 0 unhealthy" in done.stdout.splitlines()
    assert "logs:" in done.stdout and "boom: cannot bind port 3000" in done.stdout
    assert 0.99 < elapsed < 4.5  # a 1 s budget, in whole seconds of `date +%s`, + 1


def test_without_a_health_check_ready_after_running_that_long(stub: Stub) -> None:
    stub.answers("created 0", "running 0")
    done, elapsed = stub.run(healthy_wait(budget=10, ready_after=1))
    assert done.returncode == 0, done
    assert done.stdout.splitlines()[-1] == "ready"
    assert 0.9 < elapsed < 4.5


def test_without_a_health_check_a_restart_while_getting_ready_is_a_crash(stub: Stub) -> None:
    stub.answers("running 0", "running 0", "restarting 1")
    done, _ = stub.run(healthy_wait(budget=10, ready_after=5))
    assert done.returncode == commands.CRASHED
    assert "crashed: restarting, restarted 1 times" in done.stdout


def test_a_hostile_container_name_is_one_word(stub: Stub, tmp_path: Path) -> None:
    stub.answers("running 0 healthy")
    name = "app-web-$(touch pwned)'; touch pwned2 #"
    done, _ = stub.run(commands.wait_for_healthy(name, budget=5, poll=0.05))
    assert done.returncode == 0, done
    assert not list(tmp_path.glob("pwned*"))
    assert stub.inspect_calls()[0].endswith(name)


def ago(done: subprocess.CompletedProcess[str]) -> int:
    lines = [line for line in done.stdout.splitlines() if line.startswith("ago: ")]
    assert len(lines) == 1, done.stdout
    return int(lines[0].removeprefix("ago: "))


def test_healthy_says_how_long_ago_docker_called_it_so(stub: Stub) -> None:
    # The second look sees healthy, its last check having ended 100 ms before.
    stub.answers("running 0 starting|NOW-2000", "running 0 healthy|NOW-2000 NOW-100")
    done, _ = stub.run(commands.wait_for_healthy("app-web-v2", budget=5, poll=0.6))
    assert done.returncode == 0, done
    assert done.stdout.splitlines()[-2:-1] == ["healthy"]
    # 100 ms, told the allowance short; and less than the 600 ms since the look before
    assert 100 - commands.AGO_ALLOWANCE_MS <= ago(done) < 500 - commands.AGO_ALLOWANCE_MS


def test_ago_is_never_more_than_the_time_since_the_look_before(stub: Stub) -> None:
    # A check that ended 3 s ago cannot have made it healthy: the look 50 ms ago saw starting.
    stub.answers("running 0 starting|NOW-3000", "running 0 healthy|NOW-3000")
    done, _ = stub.run(commands.wait_for_healthy("app-web-v2", budget=5, poll=0.05))
    assert done.returncode == 0, done
    assert 0 < ago(done) < 1000


def test_ago_is_zero_when_it_cannot_be_known(stub: Stub) -> None:
    stub.answers("running 0 healthy|NOW-300")  # healthy at the first look: since when?
    done, _ = stub.run(commands.wait_for_healthy("app-web-v2", budget=5, poll=0.05))
    assert ago(done) == 0
    stub.root.joinpath("n").unlink()
    stub.date_without_nanoseconds()
    stub.answers("running 0 starting|NOW-300", "running 0 healthy|NOW-300")
    done, _ = stub.run(commands.wait_for_healthy("app-web-v2", budget=5, poll=0.05))
    assert done.returncode == 0, done
    assert ago(done) == 0


# --- wait_for_unhealthy and the cord ------------------------------------------------------------


def test_the_notice_pause_counts_from_when_docker_called_it_unhealthy(stub: Stub) -> None:
    stub.answers("running 0 healthy|NOW-900", "running 0 unhealthy|NOW-900 NOW-300")
    command = commands.wait_for_unhealthy("app-web-v1", budget=5, poll=0.6, pause=1)
    done, _ = stub.run(command)
    assert done.returncode == 0, done
    assert done.stdout.splitlines()[-2] == "unhealthy"
    assert 300 - commands.AGO_ALLOWANCE_MS <= ago(done) < 600 - commands.AGO_ALLOWANCE_MS
    pause = float(stub.sleeps()[-1])
    assert pause == pytest.approx(1 - ago(done) / 1000, abs=0.0015)  # 1 s less ~300 ms


def test_without_fractional_sleep_the_rest_of_the_pause_is_rounded_up(stub: Stub) -> None:
    sleep = stub.root / "bin" / "sleep"
    sleep.write_text(
        '#!/bin/sh\necho "sleep $*" >> "$STUB/calls"\n'
        'case "$1" in *.*) exit 1 ;; esac\nexec /bin/sleep "$@"\n'
    )
    stub.answers("running 0 healthy|NOW-900", "running 0 unhealthy|NOW-900 NOW-300")
    command = commands.wait_for_unhealthy("app-web-v1", budget=5, poll=0.6, pause=1)
    done, _ = stub.run(command)
    assert done.returncode == 0, done
    assert stub.sleeps()[-1] == "1"  # 0.7 s rounded up, never down


def test_unhealthy_is_seen_at_the_next_poll(stub: Stub) -> None:
    stub.answers("running 0 healthy", "running 0 healthy", "running 0 unhealthy")
    done, elapsed = stub.run(commands.wait_for_unhealthy("app-web-v1", budget=5, poll=0.05))
    assert done.returncode == 0
    assert done.stdout.splitlines()[-2:] == ["unhealthy", "ago: 0"]
    assert stub.inspections() == 3 and elapsed < 3.0


def test_a_stopped_old_container_counts_as_unhealthy(stub: Stub) -> None:
    stub.answers("exited 0 healthy")
    done, _ = stub.run(commands.wait_for_unhealthy("app-web-v1", budget=5, poll=0.05))
    assert done.returncode == 0 and done.stdout.splitlines()[-2:] == ["unhealthy", "ago: 0"]


def test_an_old_container_staying_healthy_times_out(stub: Stub) -> None:
    stub.answers("running 0 healthy")
    done, _ = stub.run(commands.wait_for_unhealthy("app-web-v1", budget=1, poll=0.05))
    assert done.returncode == commands.TIMED_OUT
    assert done.stdout.splitlines()[-1] == "timeout: running 0 healthy"


def test_cut_cord_and_wait_removes_the_mounted_directory_then_waits(stub: Stub) -> None:
    cord_dir = stub.root / "cords" / "app-web-abc"
    cord_dir.mkdir(parents=True)
    (cord_dir / "cord").write_text("")
    (stub.root / "mounts").write_text(f"{cord_dir}\n")
    stub.answers("running 0 healthy", "running 0 unhealthy")
    done, _ = stub.run(commands.cut_cord_and_wait(web_role(), "app-web-v1", budget=5, poll=0.05))
    assert done.returncode == 0, done
    assert not cord_dir.exists()
    assert done.stdout.splitlines()[-2:] == ["unhealthy", "ago: 0"]


def test_cut_cord_and_wait_then_pauses_and_stops_on_the_server(stub: Stub) -> None:
    cord_dir = stub.root / "cord-dir"
    cord_dir.mkdir()
    (stub.root / "mounts").write_text(f"{cord_dir}\n")
    stub.answers("running 0 healthy", "running 0 unhealthy")
    stop = Raw("docker stop app-web-v1")
    command = commands.cut_cord_and_wait(
        web_role(), "app-web-v1", budget=5, poll=0.05, notice=0.5, then=stop
    )
    done, elapsed = stub.run(command)
    assert done.returncode == 0, done
    assert done.stdout.splitlines()[-2:] == ["unhealthy", "ago: 0"]
    assert stub.calls()[-1] == "stop app-web-v1"
    assert 0.5 <= elapsed < 4.0  # the notice pause came before the stop
    host, reports = ShHost(stub), []
    # a cord already cut counts as cut
    assert health.cut_and_wait_for_unhealthy(host, web_role(), command, report=reports.append) == (
        "unhealthy"
    )
    assert reports == ["running 0 unhealthy"]
    assert stub.calls()[-1] == "stop app-web-v1"


def test_a_timed_out_wait_skips_the_pause_but_still_stops(stub: Stub) -> None:
    cord_dir = stub.root / "cord-dir"
    cord_dir.mkdir()
    (stub.root / "mounts").write_text(f"{cord_dir}\n")
    stub.answers("running 0 healthy")
    command = commands.cut_cord_and_wait(
        web_role(), "app-web-v1", budget=1, poll=0.05, notice=30, then=Raw("docker stop x")
    )
    host = ShHost(stub)
    assert health.cut_and_wait_for_unhealthy(host, web_role(), command, report=print) == "timeout"
    assert stub.calls()[-1] == "stop x"


def test_a_failing_cut_raises_and_stops_nothing(stub: Stub) -> None:
    (stub.root / "mounts").write_text("/proc/version\n")  # rm -r fails there
    command = commands.cut_cord_and_wait(
        web_role(), "app-web-v1", budget=1, poll=0.05, then=Raw("docker stop x")
    )
    with pytest.raises(CommandFailed):
        health.cut_and_wait_for_unhealthy(ShHost(stub), web_role(), command, report=print)
    assert not any(call.startswith("stop") for call in stub.calls())


def test_cut_cord_and_wait_without_a_cord_mounted(stub: Stub) -> None:
    stub.answers("running 0 healthy")
    done, _ = stub.run(commands.cut_cord_and_wait(web_role(), "app-web-v1", budget=5, poll=0.05))
    assert done.returncode == 0 and done.stdout.splitlines() == ["no-cord"]
    assert stub.inspections() == 0


def test_the_scripts_are_exact() -> None:
    assert healthy_wait().startswith(
        "(c=app-web-v2; end=$(($(date +%s) + 6)); seen=; now=; while :; do prev=$now; "
        "now=$(date +%s%N); o=$(docker inspect --format "
        "'{{.State.Status}} {{.RestartCount}}{{if .State.Health}} {{.State.Health.Status}}"
        "|{{range .State.Health.Log}}{{.End.UnixNano}} {{end}}{{end}}'"
        ' "$c" 2>/dev/null) || o="gone 0"; s=${o%%|*}; '
    )
    ago_head = 'then echo healthy; ago=0; e=${o#"$s"}; e=${e#|}; e=${e% }; e=${e##* }; '
    assert ago_head + "t=$(date +%s%N); " in healthy_wait()
    assert healthy_wait().endswith("sleep 0.05 2>/dev/null || sleep 1; done)")


# --- the flow side --------------------------------------------------------------------------


def test_flow_relays_the_status_lines_and_reports_healthy(stub: Stub) -> None:
    stub.answers("running 0 starting", "running 0 healthy")
    host, reports = ShHost(stub), []
    health.wait_for_healthy(host, web_role(), "app-web-v2", ready_after=0, report=reports.append)
    assert reports == ["running 0 starting", "running 0 healthy", "Container is healthy!"]
    assert len(host.commands) == 1


def test_flow_raises_with_the_logs_and_health_on_a_crash(stub: Stub) -> None:
    stub.answers("running 0 starting", "restarting 1 starting")
    with pytest.raises(ContainerUnhealthy) as caught:
        health.wait_for_healthy(
            ShHost(stub), web_role({"log_lines": 3}), "app-web-v2", ready_after=0,
            report=lambda line: None,
        )  # fmt: skip
    assert str(caught.value) == (
        "app-web-v2 on h1 not ready (crashed: restarting, restarted 1 times)\n"
        "Logs of app-web-v2:\nboom: cannot bind port 3000\nsecond line\n"
        'Health: {"Status":"unhealthy","FailingStreak":3}'
    )
    assert any(call == "logs --tail 3 app-web-v2" for call in stub.calls())


def test_budget_is_kamals_total_and_stays_under_the_command_timeout() -> None:
    role = web_role({"max_attempts": 7})
    assert health.budget(role) == 28  # 1 + 2 + ... + 7
    assert health.budget(role, 1800) == 28
    assert health.budget(role, 20) == 15
    assert health.budget(web_role({"max_attempts": 3})) == 6


def test_seconds_ago_reads_the_milliseconds_line() -> None:
    assert health.seconds_ago(["healthy", "ago: 250"]) == 0.25
    assert health.seconds_ago(["healthy", "ago: x"]) == 0.0
    assert health.seconds_ago(["healthy"]) == 0.0


def test_the_flow_returns_how_long_ago_docker_called_it_healthy(stub: Stub) -> None:
    stub.answers("running 0 starting|NOW-2000", "running 0 healthy|NOW-2000 NOW-300")
    reports: list[str] = []
    ago = health.wait_for_healthy(
        ShHost(stub), web_role(), "app-web-v2", ready_after=0, report=reports.append
    )
    # 300 ms, capped by the ~0.25 s since the look before, less the allowance
    assert 0.05 < ago < 0.3
    assert reports[-1] == "Container is healthy!"
