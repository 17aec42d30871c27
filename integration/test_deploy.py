"""The main path, end to end: setup v1, deploy v2, redeploy v3, rollback to v1.

One project (service ``e2edeploy``) on three web hosts, the second tagged ``canary``, with
clear, secret and tag env, assets and recording hooks. The states build on each other
through module fixtures, so the tests below run in file order.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator

import pytest

from integration.harness import Sandbox
from integration.project import (
    REGISTRY_PASSWORD,
    Project,
    checked_exec,
    container_env,
    inspect,
    list_containers,
    make_project,
    server_run,
)

SERVICE = "e2edeploy"
#: Read single-quoted from .kamal/.env, so taken literally: no expansion, no command.
WEIRD_SECRET = 'p@$$ "quoted" it\'s  two  spaces $(echo nope) ${HOME} `x` \\n;|&'
SECRETS = {
    "APP_SECRET": "app-secret-71d3",
    "CANARY_SECRET": "canary-secret-e5b0",
}
ENV = {
    "clear": {"GREETING": "hello from e2e"},
    "secret": ["APP_SECRET", "WEIRD_SECRET"],
    "tags": {"canary": {"clear": {"CANARY": "true"}, "secret": ["CANARY_SECRET"]}},
}
ROLE_ENV_FILE = f"/root/.kamal/env/roles/{SERVICE}-web.env"
TRAEFIK_ENV_FILE = "/root/.kamal/env/traefik/traefik.env"


def dotenv_single_quoted(value: str) -> str:
    """``value`` as a single-quoted dotenv value (literal apart from ``\\\\`` and ``\\'``)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Clean servers and a project: web on h1, h2 (tag canary), h3, with env and assets."""
    sandbox = clean_servers
    h1, h2, h3 = sandbox.hosts
    secrets = {**SECRETS, "WEIRD_SECRET": dotenv_single_quoted(WEIRD_SECRET)}
    return make_project(
        tmp_path_factory.mktemp("deploy"), sandbox, SERVICE,
        {"web": {"hosts": [h1, {h2: "canary"}, h3]}},
        env=ENV, secrets=secrets, asset_path="/www/assets",
    )  # fmt: skip


@pytest.fixture(scope="module")
def v1(project: Project) -> subprocess.CompletedProcess[str]:
    """``setup --version v1`` with ``assets/v1.css`` in the app."""
    project.add_asset("v1.css", "/* v1 */")
    return project.kamal("setup", version="v1")


class AssetWatcher:
    """Polls the v1 container on one host, during a deploy, for v2's asset file.

    Records whether the *old* container served ``/assets/v2.css`` while it still ran (the
    cross-copy new -> old) and whether its host volume held ``v2.css`` at that time.
    """

    def __init__(self, sandbox: Sandbox, host: str, old: str) -> None:
        self.sandbox, self.host, self.old = sandbox, host, old
        self.served_by_old = False
        self.in_old_volume = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> AssetWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        volume = f"/root/.kamal/assets/volumes/{self.old}/v2.css"
        while not self._stop.is_set() and not self.served_by_old:
            code, _ = server_run(
                self.sandbox,
                self.host,
                f"docker exec {self.old} wget -qO- http://localhost:3000/assets/v2.css "
                f"&& test -f {volume}",
            )
            if code == 0:
                self.served_by_old = self.in_old_volume = True
            self._stop.wait(0.1)


@pytest.fixture(scope="module")
def v2(project: Project, v1: subprocess.CompletedProcess[str]) -> Iterator[dict]:
    """``deploy --version v2`` (adds ``assets/v2.css``) while watching the v1 container."""
    project.add_asset("v2.css", "/* v2 */")
    project.clear_hook_log()
    watcher = AssetWatcher(project.sandbox, project.sandbox.hosts[0], f"{SERVICE}-web-v1")
    with watcher:
        result = project.kamal("deploy", version="v2")
    yield {"result": result, "watcher": watcher, "hooks": project.hook_records()}


@pytest.fixture(scope="module")
def v3(project: Project, v2: dict) -> subprocess.CompletedProcess[str]:
    """``redeploy --version v3``, with v1 started again beside v2 on the first host: a stale
    container, as a failed deploy can leave."""
    checked_exec(project.sandbox, project.sandbox.hosts[0], f"docker start {SERVICE}-web-v1")
    assert project.running_versions(project.sandbox.hosts[0]) == ["v1", "v2"]
    return project.kamal("redeploy", version="v3")


@pytest.fixture(scope="module")
def rolled_back(project: Project, v3: subprocess.CompletedProcess[str]) -> str:
    """``rollback v1``: its stderr."""
    return project.kamal("rollback", "v1").stderr


def web_container(version: str) -> str:
    return f"{SERVICE}-web-{version}"


# ------------------------------------------------------------------------------- v1
def test_setup_installs_nothing_new_pushes_env_and_boots_v1(
    project: Project, v1: subprocess.CompletedProcess[str]
) -> None:
    assert "Ensuring Docker is installed on 3 host(s)" in v1.stderr
    assert "Deployed e2edeploy v1" in v1.stderr
    for host in project.sandbox.hosts:
        assert checked_exec(project.sandbox, host, "docker --version").startswith("Docker")
        assert project.running_versions(host) == ["v1"]
        health = inspect(project.sandbox, host, web_container("v1"), "{{.State.Health.Status}}")
        assert health == "healthy"
        assert project.fetch(host, "/version") == "v1"
        assert project.fetch(host, "/assets/v1.css") == "/* v1 */"
    assert not project.lock_directory_exists(), "the deploy lock must be released after a deploy"


def test_traefik_standin_runs_on_every_web_host(project: Project, v1: object) -> None:
    """Traefik cannot be had on these machines: the ``traefik`` container here is the sandbox
    stand-in, which runs but does NOT route. Only that deploy started it is checked."""
    for host in project.sandbox.hosts:
        assert list_containers(project.sandbox, host, "name=^traefik$") == ["traefik"]
        image = inspect(project.sandbox, host, "traefik", "{{.Config.Image}}")
        assert image == project.config["traefik"]["image"]


def test_env_files_are_mode_400_and_hold_each_hosts_tag_secrets(
    project: Project, v1: object
) -> None:
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2, h3):
        mode = checked_exec(project.sandbox, host, f"stat -c %a {ROLE_ENV_FILE} {TRAEFIK_ENV_FILE}")
        assert mode.split() == ["400", "400"]
        content = checked_exec(project.sandbox, host, f"cat {ROLE_ENV_FILE}")
        assert f"APP_SECRET={SECRETS['APP_SECRET']}\n" in content
        assert f"WEIRD_SECRET={WEIRD_SECRET}\n" in content
        has_canary = f"CANARY_SECRET={SECRETS['CANARY_SECRET']}" in content
        assert has_canary == (host == h2), f"{host}: {content}"
        assert "GREETING" not in content, "clear values go on docker run, not into env files"


def test_containers_get_clear_secret_and_tag_env_byte_exact(project: Project, v1: object) -> None:
    h1, h2, h3 = project.sandbox.hosts
    for host in (h1, h2, h3):
        env = container_env(project.sandbox, host, web_container("v1"))
        assert env["GREETING"] == "hello from e2e"
        assert env["APP_SECRET"] == SECRETS["APP_SECRET"]
        assert env["WEIRD_SECRET"] == WEIRD_SECRET
        assert env["KAMAL_VERSION"] == "v1"
        if host == h2:
            assert env["CANARY"] == "true"
            assert env["CANARY_SECRET"] == SECRETS["CANARY_SECRET"]
        else:
            assert "CANARY" not in env and "CANARY_SECRET" not in env
    audit = checked_exec(project.sandbox, h1, f"cat /root/.kamal/{SERVICE}-audit.log")
    assert SECRETS["APP_SECRET"] not in audit


def test_app_containers_have_kamals_hostname(project: Project, v1: object) -> None:
    for host in project.sandbox.hosts:
        hostname = inspect(project.sandbox, host, web_container("v1"), "{{.Config.Hostname}}")
        assert re.fullmatch(rf"{re.escape(host[:51].rstrip('.'))}-[0-9a-f]{{12}}", hostname)
        command = f"docker exec {web_container('v1')} cat /etc/hostname"
        inside = checked_exec(project.sandbox, host, command)
        assert inside.strip() == hostname


def test_setup_ran_the_hooks_with_kamal_variables(project: Project, v1: object) -> None:
    records = project.hook_records()
    assert [r["hook"] for r in records] == ["pre-connect", "pre-build", "pre-deploy", "post-deploy"]
    hosts = ",".join(project.sandbox.hosts)
    for record in records:
        assert record["KAMAL_VERSION"] == "v1"
        assert record["KAMAL_SERVICE"] == SERVICE
        assert record["KAMAL_HOSTS"] == hosts
        assert record["KAMAL_COMMAND"] == "setup"
        assert record["KAMAL_PERFORMER"]
    post = records[-1]
    assert post["KAMAL_RUNTIME"].isdigit(), post
    assert all(r["KAMAL_RUNTIME"] == "" for r in records[:-1])


def test_audit_shows_the_booted_version_on_each_host(project: Project, v1: object) -> None:
    result = project.kamal("audit", version="v1")
    for host in project.sandbox.hosts:
        log = checked_exec(project.sandbox, host, f"cat /root/.kamal/{SERVICE}-audit.log")
        assert '[web] "Booted app version v1"' in log
        section = result.stdout.split(f"Audit log on {host}:")[1].split("Audit log on")[0]
        assert "Booted app version v1" in section


def test_details_shows_traefik_and_app_containers_per_host(project: Project, v1: object) -> None:
    result = project.kamal("details", version="v1")
    for host in project.sandbox.hosts:
        assert f"Traefik on {host}:" in result.stdout
        section = result.stdout.split(f"App web on {host}:")[1].split(" on 172.")[0]
        assert web_container("v1") in section


def test_config_redacts_the_registry_password_and_shows_no_secret(
    project: Project, v1: object
) -> None:
    result = project.kamal("config", version="v1")
    assert "password: '[REDACTED]'" in result.stdout or "password: [REDACTED]" in result.stdout
    shown = result.stdout + result.stderr
    for secret in (REGISTRY_PASSWORD, *SECRETS.values(), WEIRD_SECRET, "nope"):
        assert secret not in shown


# ------------------------------------------------------------------------------- v2
def test_deploy_v2_replaces_v1_everywhere(project: Project, v2: dict) -> None:
    assert "Deployed e2edeploy v2" in v2["result"].stderr
    for host in project.sandbox.hosts:
        assert project.running_versions(host) == ["v2"]
        assert web_container("v1") in project.containers(host, running=False)
        assert project.fetch(host, "/version") == "v2"


def test_deploy_hooks_get_the_deploy_command_and_runtime(project: Project, v2: dict) -> None:
    records = v2["hooks"]
    assert [r["hook"] for r in records] == ["pre-connect", "pre-build", "pre-deploy", "post-deploy"]
    assert {r["KAMAL_COMMAND"] for r in records} == {"deploy"}
    assert {r["KAMAL_VERSION"] for r in records} == {"v2"}
    assert records[-1]["KAMAL_RUNTIME"].isdigit()


def test_assets_are_bridged_between_old_and_new_containers(project: Project, v2: dict) -> None:
    """v2 serves v1's assets too; the old v1 container served v2's before it was stopped."""
    for host in project.sandbox.hosts:
        assert project.fetch(host, "/assets/v1.css") == "/* v1 */"
        assert project.fetch(host, "/assets/v2.css") == "/* v2 */"
        volume = f"/root/.kamal/assets/volumes/{web_container('v2')}"
        assert checked_exec(project.sandbox, host, f"ls {volume}").split() == [
            "app.css", "v1.css", "v2.css",
        ]  # fmt: skip
    watcher = v2["watcher"]
    assert watcher.served_by_old, "the v1 container never served /assets/v2.css during deploy"
    assert watcher.in_old_volume


# ------------------------------------------------------------------------ v3, rollback
def test_redeploy_v3_boots_it_without_touching_traefik(project: Project, v3: object) -> None:
    assert "Redeployed e2edeploy v3" in v3.stderr
    assert "Traefik" not in v3.stderr
    host = project.sandbox.hosts[0]
    assert f"[{host}] Stopping stale container {web_container('v1')}" in v3.stderr
    for host in project.sandbox.hosts:
        assert project.running_versions(host) == ["v3"]
        assert project.fetch(host, "/version") == "v3"


def test_rollback_starts_v1_again_and_stops_v3(project: Project, rolled_back: str) -> None:
    assert "Rolled back e2edeploy to v1" in rolled_back
    for host in project.sandbox.hosts:
        assert project.running_versions(host) == ["v1"]
        assert web_container("v3") in project.containers(host, running=False)
        assert project.fetch(host, "/version") == "v1"
        assert project.fetch(host, "/assets/v1.css") == "/* v1 */"
    log = checked_exec(project.sandbox, project.sandbox.hosts[0],
                       f"cat /root/.kamal/{SERVICE}-audit.log")  # fmt: skip
    assert log.count('"Booted app version v1"') == 2


def test_rollback_to_an_unknown_version_fails_cleanly(project: Project, rolled_back: str) -> None:
    result = project.kamal("rollback", "v9", check=False)
    assert result.returncode == 1
    assert "The app version 'v9' is not available" in result.stderr
    assert "Traceback" not in result.stderr
    for host in project.sandbox.hosts:
        assert project.running_versions(host) == ["v1"]


def test_env_delete_removes_the_env_files(project: Project, rolled_back: str) -> None:
    project.kamal("env.delete", version="v1")
    for host in project.sandbox.hosts:
        code, output = server_run(
            project.sandbox, host, f"test -e {ROLE_ENV_FILE} || test -e {TRAEFIK_ENV_FILE}"
        )
        assert code != 0, f"{host}: env files still there"


def test_env_push_writes_them_again(project: Project, rolled_back: str) -> None:
    project.kamal("env.push", version="v1")
    for host in project.sandbox.hosts:
        assert checked_exec(project.sandbox, host, f"stat -c %a {ROLE_ENV_FILE}").strip() == "400"
