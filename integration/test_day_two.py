"""Day-2 operations on the sandbox: an interactive session through a real terminal (a pty),
following logs until Ctrl-C, and a destructive task that asks first."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from integration.harness import TRAEFIK_STANDIN_IMAGE, Sandbox
from integration.project import Project, list_containers, make_project

SERVICE = "e2eday2"
TICKER = f"{SERVICE}-ticker"
TICKER_SCRIPT = "#!/bin/sh\nn=0\nwhile :; do n=$((n+1)); echo tick-$n; sleep 1; done\n"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Web on h1 (nothing deployed); a ``ticker`` accessory on h1 printing a line a second."""
    sandbox = clean_servers
    h1 = sandbox.hosts[0]
    root = tmp_path_factory.mktemp("daytwo")
    (root / "ticker.sh").write_text(TICKER_SCRIPT)
    accessory = {
        "image": TRAEFIK_STANDIN_IMAGE,
        "host": h1,
        "options": {"entrypoint": "/bin/sh"},
        "files": ["ticker.sh:/etc/ticker.sh"],
        "cmd": "/etc/ticker.sh",
    }
    project = make_project(root, sandbox, SERVICE, [h1], accessories={"ticker": accessory})
    project.kamal("env.push", version="v0")
    project.kamal("accessory.boot", "ticker", version="v0")
    return project


@pytest.fixture(scope="module")
def env(project: Project) -> dict[str, str]:
    """The CLI's environment. The system ``ssh`` checks host keys as the project's ``ssh``
    section says (the sandbox's known_hosts, strict), passed as ``-o`` options by the tool."""
    environment = {k: v for k, v in os.environ.items() if k != "VERSION"}
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


def argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "kamal_tasks", *args, "--version", "v0"]


def running(project: Project) -> list[str]:
    return list_containers(project.sandbox, project.sandbox.hosts[0], f"name=^{TICKER}$")


# --- a session through a real terminal ------------------------------------------------------


class Terminal:
    """A child process on a pty: type into it, read what it shows, get its exit status."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the program, its terminal the pty
            os.chdir(cwd)
            os.execvpe(args[0], args, env)
        self.seen = ""

    def read_until(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never showed; the terminal showed:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(
                        f"{text!r} never showed; the terminal showed:\n{self.seen}"
                    )
                self.seen += chunk.decode(errors="replace")
        return self.seen

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def exit_status(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:  # drain, or the child may block on a full terminal
                if select.select([self.fd], [], [], 0.1)[0]:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"the session did not end; the terminal showed:\n{self.seen}")


def test_server_exec_interactive_through_a_terminal(project: Project, env: dict[str, str]) -> None:
    project.clear_hook_log()
    terminal = Terminal(argv("server.exec", "-i", "sh"), project.root, env)
    terminal.read_until("# ")
    terminal.type("echo answer=$((6*7)); tty\n")
    screen = terminal.read_until("/dev/pts/")
    assert "answer=42" in screen
    terminal.type("exit 3\n")
    assert terminal.exit_status() == 3
    assert "Traceback" not in terminal.seen
    assert [record["hook"] for record in project.hook_records()] == ["pre-connect"]


def test_accessory_exec_interactive_through_a_terminal(
    project: Project, env: dict[str, str]
) -> None:
    terminal = Terminal(argv("accessory.exec", "ticker", "-i", "sh"), project.root, env)
    terminal.read_until("# ")
    terminal.type("head -2 /etc/ticker.sh | tail -1; echo inside=$((1+1))\n")
    screen = terminal.read_until("inside=2")
    assert "n=0" in screen
    terminal.type("exit\n")
    assert terminal.exit_status() == 0


def test_interactive_with_several_hosts_asks_to_pick_one(
    project: Project, env: dict[str, str]
) -> None:
    h1, h2, _ = project.sandbox.hosts
    project.config["servers"] = [h1, h2]
    project.write()
    try:
        done = subprocess.run(
            argv("server.exec", "-i", "sh", "--hosts", f"{h1},{h2}"),
            cwd=project.root, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
    finally:
        project.config["servers"] = [h1]
        project.write()
    assert done.returncode == 1
    assert done.stderr == (
        f"ERROR: server.exec --interactive runs on one host, but --hosts matched {h1}, {h2}: "
        "pick one with --hosts\n"
    )


# --- app.exec: --reuse goes into the version running on the host ----------------------------


@pytest.fixture(scope="module")
def deployed(project: Project) -> str:
    """v1 deployed on h1; returns the checkout's version, which is another one."""
    project.kamal("deploy", version="v1")
    return "v-local"


def local_env(env: dict[str, str], version: str) -> dict[str, str]:
    return {**env, "VERSION": version}


def test_app_exec_reuse_uses_the_running_version(
    project: Project, env: dict[str, str], deployed: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kamal_tasks", "app.exec", "--reuse", "cat /www/version"],
        cwd=project.root, env=local_env(env, deployed), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "v1"  # written by that container at its start


def test_app_exec_interactive_reuse_through_a_terminal(
    project: Project, env: dict[str, str], deployed: str
) -> None:
    args = [sys.executable, "-m", "kamal_tasks", "app.exec", "-i", "--reuse", "sh"]
    terminal = Terminal(args, project.root, local_env(env, deployed))
    terminal.read_until("# ")
    terminal.type("echo running=$KAMAL_VERSION; tty\n")
    assert "running=v1" in terminal.read_until("/dev/pts/")
    terminal.type("exit 4\n")
    assert terminal.exit_status() == 4


def test_app_exec_interactive_runs_a_new_container_removed_after(
    project: Project, env: dict[str, str], deployed: str
) -> None:
    h1 = project.sandbox.hosts[0]
    before = list_containers(project.sandbox, h1, running=False)
    args = [sys.executable, "-m", "kamal_tasks", "app.exec", "-i", "sh", "--version", "v1"]
    terminal = Terminal(args, project.root, env)
    terminal.read_until("# ")
    terminal.type("echo fresh=${KAMAL_VERSION:-none} sum=$((2+2))\n")
    assert "fresh=none sum=4" in terminal.read_until("sum=4")
    terminal.type("exit\n")
    assert terminal.exit_status() == 0
    assert list_containers(project.sandbox, h1, running=False) == before


# --- following logs until Ctrl-C -----------------------------------------------------------


def test_follow_streams_new_lines_until_ctrl_c(project: Project, env: dict[str, str]) -> None:
    process = subprocess.Popen(
        argv("accessory.logs", "ticker", "--follow", "-n", "1"),
        cwd=project.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ticks: list[str] = []
    seen_two = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "tick-" in line:
                ticks.append(line.split("tick-")[1].strip())
                if len(set(ticks)) >= 2:
                    seen_two.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen_two.wait(60), f"no new line arrived: {ticks}"
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(5)
    stderr = process.stderr.read() if process.stderr else ""
    assert code in (0, 130), stderr
    assert "Traceback" not in stderr
    assert int(ticks[1]) == int(ticks[0]) + 1  # the first is the last line, then a new one


def test_follow_on_a_terminal_ends_with_ctrl_c(project: Project, env: dict[str, str]) -> None:
    terminal = Terminal(argv("accessory.logs", "ticker", "-f", "-n", "1"), project.root, env)
    first = terminal.read_until("tick-").rsplit("tick-", 1)[1]
    terminal.read_until(f"tick-{int(first.split()[0]) + 1}" if first.split() else "tick-")
    terminal.type("\x03")  # Ctrl-C, as typed: ssh -t passes it to the remote terminal
    assert terminal.exit_status() == 130  # as a shell reports Ctrl-C; not ssh's 255
    assert "Traceback" not in terminal.seen


# --- asking before removing -------------------------------------------------------------------


def test_accessory_remove_without_a_terminal_needs_yes(
    project: Project, env: dict[str, str]
) -> None:
    assert running(project) == [TICKER]
    refused = subprocess.run(
        argv("accessory.remove", "ticker"), cwd=project.root, env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        "ERROR: accessory.remove: no terminal to ask on; pass --yes (-y) to confirm\n"
    )
    assert running(project) == [TICKER]

    declined = Terminal(argv("accessory.remove", "ticker"), project.root, env)
    declined.read_until("Are you sure? [y/N] ")
    declined.type("n\n")
    assert declined.exit_status() == 1
    assert "accessory.remove: not confirmed, nothing done" in declined.seen
    assert running(project) == [TICKER]

    removed = subprocess.run(
        argv("accessory.remove", "ticker", "--yes"), cwd=project.root, env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert removed.returncode == 0, removed.stderr
    assert list_containers(project.sandbox, project.sandbox.hosts[0], f"name=^{TICKER}$",
                           running=False) == []  # fmt: skip
