"""Bad input through the CLI, as a user meets it: one ``ERROR:`` line naming the key, flag or
file, exit 1, never a traceback or a hang. Also: a dry run runs no ``$(cmd)`` and no hook,
local time limits kill what they time, and a closed output pipe stops the tool quietly."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli import clean_env, kamal

DEPLOY_YML = """\
service: app
image: user/app
servers:
  - 1.1.1.1
registry:
  username: user
  password: pw
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    return tmp_path


def write_hook(root: Path, name: str, body: str, *, executable: bool = True) -> Path:
    path = root / ".kamal/hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def assert_one_line_error(done: subprocess.CompletedProcess[str], expected: str) -> None:
    """Exit 1 and exactly ``ERROR: expected`` on stderr (one line), no traceback."""
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"ERROR: {expected}"
    assert done.stderr.count("ERROR") == 1


def deploy_dry_run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return kamal(root, "deploy", "--dry-run", "--version", "v1", *args, **env)


# --- files ---------------------------------------------------------------------------------------
def test_non_utf8_byte_in_deploy_yml(project: Path) -> None:
    (project / "config/deploy.yml").write_bytes(DEPLOY_YML.encode() + b"x-note: caf\xe9\n")
    done = deploy_dry_run(project)
    path = project / "config/deploy.yml"
    assert_one_line_error(done, f"{path}: not UTF-8 text: byte 0xe9 at line 8, column 12")


def test_non_utf8_byte_in_the_destination_file(project: Path) -> None:
    (project / "config/deploy.staging.yml").write_bytes(b"\xff\n")
    done = deploy_dry_run(project, "-d", "staging")
    path = project / "config/deploy.staging.yml"
    assert_one_line_error(done, f"{path}: not UTF-8 text: byte 0xff at line 1, column 1")


def test_non_utf8_byte_in_the_env_file(project: Path) -> None:
    (project / ".kamal").mkdir()
    (project / ".kamal/.env").write_bytes(b"A=1\nB=\x80\n")
    done = deploy_dry_run(project)
    assert_one_line_error(done, ".kamal/.env: not UTF-8 text: byte 0x80 at line 2, column 3")


def test_deeply_nested_list(project: Path) -> None:
    (project / "config/deploy.yml").write_text(DEPLOY_YML + "x-deep: " + "[" * 5000 + "]" * 5000)
    done = deploy_dry_run(project)
    path = project / "config/deploy.yml"
    assert_one_line_error(
        done, f"{path}: invalid YAML: nested deeper than 64 levels at line 8, column 72"
    )


def test_config_file_naming_a_directory(project: Path) -> None:
    done = deploy_dry_run(project, "-c", "config")
    assert_one_line_error(done, f"Configuration file is a directory: {project / 'config'}")


def test_config_file_missing(project: Path) -> None:
    done = deploy_dry_run(project, "-c", "nope.yml")
    assert_one_line_error(done, f"Configuration file not found: {project / 'nope.yml'}")


ALIAS_BOMB = """\
service: app
image: user/app
registry: {username: user, password: pw}
x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
x-h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
servers:
  web:
    hosts: [1.1.1.1]
    options:
      x: [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_yaml_alias_bomb_is_refused_fast(project: Path) -> None:
    (project / "config/deploy.yml").write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 1300
    started = time.monotonic()
    done = deploy_dry_run(project)
    assert time.monotonic() - started < 10
    path = project / "config/deploy.yml"
    assert_one_line_error(
        done,
        f"{path}: invalid YAML: expands to more than 100000 values through aliases"
        " at line 9, column 6",
    )


def test_an_alias_inside_itself_is_refused(project: Path) -> None:
    (project / "config/deploy.yml").write_text(DEPLOY_YML + "x-loop: &loop [*loop]\n")
    done = deploy_dry_run(project)
    path = project / "config/deploy.yml"
    assert_one_line_error(
        done,
        f"{path}: invalid YAML: an alias refers to the value that contains it at line 8, column 9",
    )


# --- values --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("traefik:\n  host_port: abc\n", "traefik/host_port: should be a port number (1-65535)"),
        ("ssh:\n  port: '²'\n", "ssh/port: should be a port number (1-65535)"),
        (
            "accessories:\n  db:\n    image: mysql\n    hosts:\n      - 10.0.0.4: tag\n",
            "accessories/db/hosts/0: should be a string",
        ),
        ("healthcheck:\n  max_attempts: -1\n", "healthcheck/max_attempts: should be at least 1"),
        ("retain_containers: 0\n", "retain_containers: should be at least 1"),
        ("boot:\n  limit: 0\n", "boot/limit: should be at least 1"),
        (
            "sshkit:\n  max_concurrent_starts: 0\n",
            "sshkit/max_concurrent_starts: should be at least 1",
        ),
        ("readiness_delay: -1\n", "readiness_delay: should be at least 0"),
        ("stop_wait_time: -1\n", "stop_wait_time: should be at least 0"),
    ],
)
def test_bad_values_name_their_key(project: Path, extra: str, expected: str) -> None:
    (project / "config/deploy.yml").write_text(DEPLOY_YML + extra)
    assert_one_line_error(deploy_dry_run(project), expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("app.logs", "--lines", "abc"), "--lines: should be a whole number, got 'abc'"),
        (("traefik.logs", "--lines", "-5"), "--lines: should be a whole number, got '-5'"),
        (("audit", "--lines", "0"), "--lines: should be at least 1, got '0'"),
        (("prune.containers", "--retain", "abc"), "--retain: should be a whole number, got 'abc'"),
        (("prune.all", "--retain=²"), "--retain: should be a whole number, got '²'"),
    ],
)
def test_bad_count_flags_name_the_flag(project: Path, args: tuple[str, ...], expected: str) -> None:
    assert_one_line_error(kamal(project, *args, "--dry-run", "--version", "v1"), expected)


def test_count_flags_still_take_numbers(project: Path) -> None:
    done = kamal(project, "prune.containers", "--retain", "2", "--dry-run", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert "tail -n +3" in done.stdout


# --- env files -----------------------------------------------------------------------------------
def test_unterminated_quote_in_env_is_reported_with_file_and_line(project: Path) -> None:
    (project / ".kamal").mkdir()
    (project / ".kamal/.env").write_text('A=1\nB="no end\nC=3\n')
    done = deploy_dry_run(project)
    assert_one_line_error(done, ".kamal/.env line 2: can't parse `B=\"no end`")


def test_env_syntax_error_in_the_destination_env_file(project: Path) -> None:
    (project / "config/deploy.staging.yml").write_text("{}\n")
    (project / ".kamal").mkdir()
    (project / ".kamal/.env").write_text("A=1\n")
    (project / ".kamal/.env.staging").write_text("\nX='open\n")
    done = deploy_dry_run(project, "-d", "staging")
    assert_one_line_error(done, ".kamal/.env.staging line 2: can't parse `X='open`")


def test_dry_run_runs_no_env_command_and_says_so(project: Path) -> None:
    (project / ".kamal").mkdir()
    (project / ".kamal/.env").write_text("TOKEN=$(touch ran.txt; echo s3cret)\n")
    (project / "config/deploy.yml").write_text(DEPLOY_YML + "env:\n  secret: [TOKEN]\n")
    done = deploy_dry_run(project, "-v")
    assert done.returncode == 0, done.stderr
    assert not (project / "ran.txt").exists()
    assert (
        "Dry run: not running `touch ran.txt; echo s3cret` (in .kamal/.env); "
        "its output is a placeholder"
    ) in done.stderr.splitlines()
    assert "s3cret" not in done.stdout


def test_real_run_runs_env_commands(project: Path) -> None:
    (project / ".kamal").mkdir()
    (project / ".kamal/.env").write_text("TOKEN=$(touch ran.txt; echo s3cret)\n")
    done = kamal(project, "config", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert (project / "ran.txt").exists()


def test_dry_run_runs_no_hook(project: Path) -> None:
    for name in ("pre-init", "pre-connect", "pre-build", "pre-deploy", "post-deploy"):
        write_hook(project, name, f"touch ran-{name}\n")
    done = deploy_dry_run(project)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in project.glob("ran-*")) == []


def test_hook_without_execute_bit_is_an_error_naming_it(project: Path) -> None:
    write_hook(project, "pre-init", "touch ran\n", executable=False)
    done = deploy_dry_run(project)
    assert_one_line_error(done, "Hook pre-init is not executable: chmod +x .kamal/hooks/pre-init")


# --- time limits ---------------------------------------------------------------------------------
def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it does not count)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def wait_gone(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_env_command_time_limit(project: Path) -> None:
    (project / ".kamal").mkdir()
    (project / ".kamal/.env").write_text("A=1\nSLOW=$(echo $$ > cmd.pid; sleep 30)\n")
    started = time.monotonic()
    done = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_ENV_COMMAND_TIMEOUT="0.5")
    assert time.monotonic() - started < 15
    assert_one_line_error(
        done,
        "Env SLOW (.kamal/.env line 2): command `echo $$ > cmd.pid; sleep 30` timed out after"
        " 0.5 s and was killed with every process it started (the limit is the Invoke setting"
        " kamal.env_command_timeout)",
    )
    assert wait_gone(int((project / "cmd.pid").read_text()))


def test_hook_time_limit_kills_the_whole_process_group(project: Path) -> None:
    write_hook(project, "pre-init", "sleep 300 &\necho $! > child.pid\nwait\n")
    started = time.monotonic()
    done = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_HOOK_TIMEOUT="0.5")
    assert time.monotonic() - started < 15
    hook = project / ".kamal/hooks/pre-init"
    assert_one_line_error(
        done,
        f"Hook pre-init ({hook}) timed out after 0.5 s and was killed with every process it"
        " started (the limit is the Invoke setting kamal.hook_timeout)",
    )
    assert wait_gone(int((project / "child.pid").read_text()))


def test_a_hook_within_its_time_limit_runs(project: Path) -> None:
    write_hook(project, "pre-init", "touch ran\n")
    done = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_HOOK_TIMEOUT="30")
    assert done.returncode == 0, done.stderr
    assert (project / "ran").exists()


@pytest.mark.parametrize("value", ["abc", "-1", "nan"])
def test_bad_time_limit_setting(project: Path, value: str) -> None:
    done = kamal(project, "config", "--version", "v1", INVOKE_KAMAL_HOOK_TIMEOUT=value)
    assert_one_line_error(
        done, f"kamal.hook_timeout: should be a number of seconds (0 for no limit), got {value!r}"
    )


# --- output --------------------------------------------------------------------------------------
def test_closed_output_pipe_stops_quietly(project: Path) -> None:
    hosts = "".join(f"  - 10.0.0.{i}\n" for i in range(1, 41))
    (project / "config/deploy.yml").write_text(DEPLOY_YML.replace("  - 1.1.1.1\n", hosts))
    command = [sys.executable, "-m", "kamal_tasks", "deploy", "--dry-run", "--version", "v1"]
    tool = subprocess.Popen(
        command, cwd=project, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert tool.stdout is not None and tool.stderr is not None
    first = tool.stdout.readline()
    tool.stdout.close()  # what `| head -1` does
    errors = tool.stderr.read().decode()
    assert tool.wait(timeout=60) == 141
    assert first.startswith(b"[10.0.0.1] ")
    assert "BrokenPipe" not in errors and "Traceback" not in errors and "ERROR" not in errors
    assert "Failed on" not in errors


def test_shell_pipe_to_head(project: Path) -> None:
    hosts = "".join(f"  - 10.0.0.{i}\n" for i in range(1, 41))
    (project / "config/deploy.yml").write_text(DEPLOY_YML.replace("  - 1.1.1.1\n", hosts))
    script = (
        f"{sys.executable} -m kamal_tasks deploy --dry-run --version v1 2>err.txt | head -1;"
        ' echo "status ${PIPESTATUS[0]}"'
    )
    env = clean_env(PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        ["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines()[-1] in ("status 141", "status 0")
    assert "Traceback" not in (project / "err.txt").read_text()
    assert "BrokenPipe" not in (project / "err.txt").read_text()


def test_time_limit_from_invoke_yaml_beside_tasks_py(project: Path) -> None:
    (project / "tasks.py").write_text("from kamal_tasks import ns  # noqa: F401\n")
    (project / "invoke.yaml").write_text("kamal:\n  hook_timeout: 0.5\n")
    write_hook(project, "pre-init", "sleep 30\n")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "config", "--version", "v1"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    assert "timed out after 0.5 s" in done.stderr


# --- what gets past the checks: a bug, said so in one line ------------------------------------
def test_an_unexpected_error_while_loading_is_one_line_naming_it_a_bug(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kamal_tasks.configuration import Config
    from kamal_tasks.context import KamalContext
    from kamal_tasks.errors import LoadingFailed
    from kamal_tasks.options import Options

    def broken(*args: object, **kwargs: object) -> Config:
        raise TypeError("unhashable type: 'dict'")

    monkeypatch.setattr(Config, "load", broken)
    k = KamalContext(None, Options(skip_hooks=True), root=project)
    with pytest.raises(LoadingFailed) as raised:
        _ = k.config
    assert str(raised.value) == (
        "Loading config/deploy.yml failed unexpectedly (TypeError: unhashable type: 'dict'); "
        "this is a bug in kamal-tasks: please report it (run with -v for the traceback)"
    )
    assert isinstance(raised.value.__cause__, TypeError)
    verbose = KamalContext(None, Options(skip_hooks=True, verbose=True), root=project)
    with pytest.raises(TypeError):
        _ = verbose.config


def test_an_os_error_while_loading_is_not_called_a_bug() -> None:
    from kamal_tasks.errors import LoadingFailed

    error = LoadingFailed("c.yml", PermissionError(13, "Permission denied"))
    assert str(error) == "Loading c.yml failed: PermissionError: [Errno 13] Permission denied"


@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_reaches_a_running_hook(project: Path, name: str, code: int) -> None:
    import signal

    write_hook(
        project,
        "pre-init",
        f"trap 'echo {name} > seen; exit 1' {name[3:]}\ntouch started\nsleep 30 &\nwait\n",
    )
    command = [sys.executable, "-m", "kamal_tasks", "config", "--version", "v1"]
    tool = subprocess.Popen(
        command, cwd=project, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while not (project / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    tool.send_signal(signal.Signals[name])
    _, errors = tool.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert tool.returncode == code, errors
    assert (project / "seen").read_text() == f"{name}\n"
    assert b"Traceback" not in errors


def test_init_with_a_config_file_outside_the_project_or_unwritable(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    done = kamal(project, "init", "--config-file", str(elsewhere / "deploy.yml"))
    assert done.returncode == 0, done.stderr
    assert "Created ../elsewhere/deploy.yml" in done.stderr  # no relative_to traceback
    assert (elsewhere / "deploy.yml").exists()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory")
    done = kamal(project, "init", "--config-file", str(blocked / "deploy.yml"))
    assert_one_line_error(done, "Cannot write ../blocked/deploy.yml: File exists")  # mkdir
