"""A throwaway Kamal project driven through the real CLI, and helpers to look at the servers.

Each integration module builds one ``Project`` in a temporary directory: a copy of
``demo/app`` (so a test can add asset files per version), ``config/deploy.yml`` pointing at
the sandbox, recording hooks and ``.kamal/.env`` with the secrets. ``Project.kamal(...)``
runs ``python -m kamal_tasks`` there exactly as a user would run ``inv``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from integration.harness import TRAEFIK_STANDIN_IMAGE, Sandbox

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_APP = REPO_ROOT / "demo" / "app"
BROKEN_APP = REPO_ROOT / "integration" / "apps" / "broken"
HEALTH_CMD = "wget -qO- http://localhost:3000/up || exit 1"
REGISTRY_PASSWORD = "registry-pw-0f3a9c"
HOOK_NAMES = ("pre-connect", "pre-build", "pre-deploy", "post-deploy")
HOOK_VARIABLES = (
    "KAMAL_VERSION", "KAMAL_SERVICE", "KAMAL_HOSTS", "KAMAL_COMMAND", "KAMAL_SUBCOMMAND",
    "KAMAL_RUNTIME", "KAMAL_PERFORMER",
)  # fmt: skip
CLI_TIMEOUT = 240

#: Each hook appends one tab-separated line: ``hook=NAME<TAB>KAMAL_X=value...``.
HOOK_SCRIPT = (
    "#!/bin/sh\n"
    + "printf '%s"
    + "\\t%s=%s" * len(HOOK_VARIABLES)
    + "\\n' "
    + (
        '"hook=$(basename "$0")" '
        + " ".join(f'{name} "${{{name}-}}"' for name in HOOK_VARIABLES)
        + " >> hooks.log\n"
    )
)


@dataclass
class Project:
    """A project directory whose ``config/deploy.yml`` deploys ``service`` to the sandbox."""

    root: Path
    sandbox: Sandbox
    service: str
    config: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)

    # --------------------------------------------------------------- files
    def write(self) -> None:
        """(Re)write ``config/deploy.yml`` and ``.kamal/.env`` from ``config``/``secrets``."""
        (self.root / "config").mkdir(parents=True, exist_ok=True)
        (self.root / "config" / "deploy.yml").write_text(yaml.safe_dump(self.config))
        env = self.root / ".kamal" / ".env"
        env.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"REGISTRY_PASSWORD={REGISTRY_PASSWORD}"]
        lines += [f"{key}={value}" for key, value in self.secrets.items()]
        env.write_text("\n".join(lines) + "\n")
        env.chmod(0o600)

    def add_asset(self, name: str, content: str) -> None:
        """Put ``www/assets/<name>`` into the app (the next build carries it)."""
        (self.root / "app" / "www" / "assets" / name).write_text(content)

    def hook_records(self) -> list[dict[str, str]]:
        """Every line the recording hooks wrote, as dicts (``hook`` plus ``KAMAL_*``)."""
        log = self.root / "hooks.log"
        if not log.exists():
            return []
        records = []
        for line in log.read_text().splitlines():
            record = dict(part.split("=", 1) for part in line.split("\t"))
            records.append(record)
        return records

    def clear_hook_log(self) -> None:
        (self.root / "hooks.log").unlink(missing_ok=True)

    # ----------------------------------------------------------------- CLI
    def kamal(
        self,
        *args: str,
        version: str | None = None,
        check: bool = True,
        timeout: float = CLI_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m kamal_tasks ARGS`` in the project; fail loudly if ``check`` fails."""
        process = self.start(*args, version=version)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"`{' '.join(args)}` timed out after {timeout}s\n{stdout}\n{stderr}"
            ) from None
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise AssertionError(f"`{' '.join(args)}` failed: {describe(result)}")
        return result

    def start(self, *args: str, version: str | None = None) -> subprocess.Popen[str]:
        """Start ``python -m kamal_tasks ARGS`` in the background (``communicate()`` it)."""
        argv = [sys.executable, "-m", "kamal_tasks", *args]
        if version:
            argv += ["--version", version]
        return subprocess.Popen(
            argv,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )

    # ------------------------------------------------------------- servers
    def containers(self, host: str, *filters: str, running: bool = True) -> list[str]:
        """Names of this service's containers on ``host`` (``docker ps`` filters added)."""
        return list_containers(
            self.sandbox, host, f"label=service={self.service}", *filters, running=running
        )

    def running_versions(self, host: str, role: str = "web") -> list[str]:
        """Versions of the running containers of ``role`` on ``host``."""
        prefix = f"{self.service}-{role}-"
        names = self.containers(host, f"label=role={role}")
        return sorted(name.removeprefix(prefix) for name in names)

    def fetch(self, host: str, path: str = "/version") -> str:
        """GET ``path`` from the newest running web container of this service on ``host``."""
        filters = (f"label=service={self.service}", "label=role=web")
        return fetch(self.sandbox, host, path, filters)

    def lock_status(self) -> str:
        """What ``lock.status`` prints."""
        return self.kamal("lock.status", version="any").stdout

    def lock_directory_exists(self) -> bool:
        """Whether ``.kamal/locks/<service>`` exists on the primary (first) host."""
        primary = self.sandbox.hosts[0]
        code, _ = server_run(self.sandbox, primary, f"test -d /root/.kamal/locks/{self.service}")
        return code == 0

    def exec(self, host: str, command: str) -> str:
        """Run a shell command on a server; fail the test if it fails."""
        return checked_exec(self.sandbox, host, command)


def _child_env() -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if key != "VERSION"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def make_project(
    root: Path,
    sandbox: Sandbox,
    service: str,
    servers: Any,
    *,
    env: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    **settings: Any,
) -> Project:
    """Create a project in ``root`` deploying ``demo/app`` as ``service`` to ``servers``.

    ``settings`` are further top-level keys of ``deploy.yml`` (they replace the defaults).
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DEMO_APP, root / "app", dirs_exist_ok=True)
    (root / "app" / "www" / "assets").mkdir(parents=True, exist_ok=True)
    hooks = root / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in HOOK_NAMES:
        (hooks / name).write_text(HOOK_SCRIPT)
        (hooks / name).chmod(0o755)
    config: dict[str, Any] = {
        "service": service,
        "image": service,
        "servers": servers,
        "registry": {
            "server": sandbox.registry,
            "username": "sandbox",
            "password": ["REGISTRY_PASSWORD"],
        },
        "builder": {"multiarch": False, "context": "app", "dockerfile": "app/Dockerfile"},
        "healthcheck": {"cmd": HEALTH_CMD, "max_attempts": 3},
        "readiness_delay": 1,
        "retain_containers": 3,
        "hooks_path": "hooks",
        "traefik": {"image": TRAEFIK_STANDIN_IMAGE},
        "ssh": {
            "keys_only": True,
            "keys": [str(sandbox.ssh_key_path)],
            # The servers' keys as up() found them; a key that changed is refused.
            "user_known_hosts_file": str(sandbox.known_hosts_path),
            "global_known_hosts_file": "/dev/null",
            "verify_host_key": "always",
        },
    }
    if env is not None:
        config["env"] = env
    config.update(settings)
    project = Project(root, sandbox, service, config, dict(secrets or {}))
    project.write()
    return project


# ------------------------------------------------------------------ server helpers
#: The exit status travels in the output, so a run whose output was lost can be told apart.
_TRAILER = "__exit_status="


def server_run(sandbox: Sandbox, host: str, command: str, attempts: int = 5) -> tuple[int, str]:
    """``sandbox.server_exec`` that survives lost output; for read-only commands only.

    docker-py's ``exec_run`` now and then returns exit 0 with *empty* output when the
    command finishes quickly while the machine is busy (docker/docker-py#2042; seen here
    about once in 200 concurrent calls). The command prints its exit status last; a run
    whose output lacks it is repeated.
    """
    wrapped = f"{{ {command}\n}} 2>&1; printf '\\n{_TRAILER}%s\\n' $?"
    for _ in range(attempts):
        _, output = sandbox.server_exec(host, wrapped)
        body, found, status = output.rpartition(_TRAILER)
        if found:
            return int(status.strip()), body.removesuffix("\n")
        time.sleep(0.1)
    raise AssertionError(f"{host}: no output from `{command}` in {attempts} attempts")


def checked_exec(sandbox: Sandbox, host: str, command: str) -> str:
    """``server_run`` that fails the test on a non-zero exit; returns the output."""
    code, output = server_run(sandbox, host, command)
    assert code == 0, f"{host}: `{command}` exited {code}: {output}"
    return output


def fetch(sandbox: Sandbox, host: str, path: str, filters: Iterable[str]) -> str:
    """GET ``path`` on :3000 of the newest running container matching ``filters`` on ``host``.

    Like ``Sandbox.fetch``, through ``server_run`` (robust against lost exec output).
    """
    flags = " ".join(f"--filter {shlex.quote(f)}" for f in [*filters, "status=running"])
    ids = checked_exec(sandbox, host, f"docker ps -q {flags}").split()
    assert ids, f"{host}: no running container matches {flags}"
    template = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
    ips = inspect(sandbox, host, ids[0], template).split()
    assert ips, f"{host}: container {ids[0]} has no network address"
    code, body = server_run(sandbox, host, f"curl -fsS --max-time 5 http://{ips[0]}:3000{path}")
    assert code == 0, f"{host}: GET {path} from {ips[0]} failed: {body}"
    return body


def list_containers(sandbox: Sandbox, host: str, *filters: str, running: bool = True) -> list[str]:
    """Container names on ``host`` matching ``docker ps --filter`` values."""
    flags = " ".join(f"--filter {shlex.quote(f)}" for f in filters)
    output = checked_exec(
        sandbox, host, f"docker ps {'' if running else '-a'} {flags} --format '{{{{.Names}}}}'"
    )
    return sorted(output.split())


def inspect(sandbox: Sandbox, host: str, container: str, template: str) -> str:
    """``docker inspect -f TEMPLATE container`` on ``host`` (stripped)."""
    return checked_exec(
        sandbox, host, f"docker inspect -f {shlex.quote(template)} {container}"
    ).strip()


def container_env(sandbox: Sandbox, host: str, container: str) -> dict[str, str]:
    """The environment of a running container, read with ``docker exec ... env``."""
    output = checked_exec(sandbox, host, f"docker exec {container} env")
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def wait_for(
    condition: Callable[[], Any], timeout: float, interval: float = 0.3, what: str = ""
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def describe(result: subprocess.CompletedProcess[str]) -> str:
    """A CLI run's exit code and output, for assertion messages."""
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    """Whether the CLI printed no Python traceback."""
    return "Traceback (most recent call last)" not in result.stdout + result.stderr


def hosts_in(text: str, hosts: Iterable[str]) -> list[str]:
    """Which of ``hosts`` are named in ``text``."""
    return [host for host in hosts if host in text]
