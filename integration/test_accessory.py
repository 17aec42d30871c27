"""``accessory.*`` on the sandbox: boot (files, directories, env file), details, exec, logs,
reboot and remove, each checked on the server itself. No app is deployed here.

The accessory runs the sandbox's busybox image (pushed to the registry as
``localhost:5555/e2eacc-busybox``) with a small shell loop that logs a line and waits.
"""

from __future__ import annotations

import subprocess

import pytest

from integration.harness import BUSYBOX_IMAGE, Sandbox
from integration.project import (
    Project,
    checked_exec,
    inspect,
    list_containers,
    make_project,
    server_run,
)

SERVICE = "e2eacc"
ACCESSORY = f"{SERVICE}-store"
IMAGE = f"{Sandbox.registry}/e2eacc-busybox:latest"
CONF = "listen = 4000\nname = 'store'\n"
SECRET = "acc-secret-3b9e"
ENV_FILE = f"/root/.kamal/env/accessories/{ACCESSORY}.env"
DATA_DIR = f"/root/{ACCESSORY}/data"
#: Logs a line, then waits; exits at once on TERM (so stop and reboot take no 10 s).
CMD = "sh -c 'echo store booted with $STORE_MODE; trap \"exit 0\" TERM; while :; do sleep 1; done'"


@pytest.fixture(scope="module")
def project(clean_servers: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Web on h1 (never deployed); accessory ``store`` on h2 with a file, a directory and env."""
    sandbox = clean_servers
    h1, h2, _ = sandbox.hosts
    image = sandbox.client.images.get(BUSYBOX_IMAGE)
    image.tag(IMAGE.rpartition(":")[0], "latest")
    sandbox.push_image(IMAGE, quiet=True)
    root = tmp_path_factory.mktemp("accessory")
    (root / "store").mkdir()
    (root / "store" / "store.conf").write_text(CONF)
    accessory = {
        "image": IMAGE,
        "host": h2,
        "cmd": CMD,
        "env": {"clear": {"STORE_MODE": "fast"}, "secret": ["STORE_SECRET"]},
        "files": ["store/store.conf:/etc/store/store.conf"],
        "directories": ["data:/data"],
    }
    project = make_project(
        root, sandbox, SERVICE, [h1], secrets={"STORE_SECRET": SECRET},
        accessories={"store": accessory},
    )  # fmt: skip
    project.kamal("env.push", version="v0")
    return project


@pytest.fixture(scope="module")
def booted(project: Project) -> subprocess.CompletedProcess[str]:
    return project.kamal("accessory.boot", "store", version="v0")


def host(project: Project) -> str:
    return project.sandbox.hosts[1]


def container_id(project: Project) -> str:
    return inspect(project.sandbox, host(project), ACCESSORY, "{{.Id}}")


def test_boot_runs_the_container_with_its_file_directory_and_env(
    project: Project, booted: object
) -> None:
    sandbox, h2 = project.sandbox, host(project)
    assert list_containers(sandbox, h2, f"name=^{ACCESSORY}$") == [ACCESSORY]
    assert inspect(sandbox, h2, ACCESSORY, "{{.Config.Image}}") == IMAGE
    assert inspect(sandbox, h2, ACCESSORY, '{{index .Config.Labels "service"}}') == ACCESSORY
    # the file is uploaded under the accessory's directory and mounted
    assert checked_exec(sandbox, h2, f"cat /root/{ACCESSORY}/etc/store/store.conf") == CONF
    assert checked_exec(sandbox, h2, f"docker exec {ACCESSORY} cat /etc/store/store.conf") == CONF
    # the directory is created on the host and mounted
    checked_exec(sandbox, h2, f"test -d {DATA_DIR}")
    mounts = inspect(
        sandbox, h2, ACCESSORY, "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}"
    )
    assert f"{DATA_DIR}:/data" in mounts.split()
    # the secret env file is in place (mode 400) and both kinds of env reach the container
    assert checked_exec(sandbox, h2, f"stat -c %a {ENV_FILE}").strip() == "400"
    assert checked_exec(sandbox, h2, f"cat {ENV_FILE}") == f"STORE_SECRET={SECRET}\n"
    env = checked_exec(sandbox, h2, f"docker exec {ACCESSORY} env").splitlines()
    assert f"STORE_SECRET={SECRET}" in env and "STORE_MODE=fast" in env
    # only its own host
    for other in (project.sandbox.hosts[0], project.sandbox.hosts[2]):
        assert list_containers(sandbox, other, f"name=^{ACCESSORY}$", running=False) == []


def test_details_shows_the_container(project: Project, booted: object) -> None:
    shown = project.kamal("accessory.details", "store", version="v0").stdout
    assert f"[{host(project)}] {ACCESSORY}:" in shown
    assert ACCESSORY in shown.split(":", 1)[1] and IMAGE in shown


def test_exec_brings_the_commands_output_back(project: Project, booted: object) -> None:
    done = project.kamal("accessory.exec", "store", "cat /etc/store/store.conf", version="v0")
    assert CONF.strip() in done.stdout
    assert f"[{host(project)}] {ACCESSORY}:" in done.stdout


def test_logs_show_what_the_container_printed(project: Project, booted: object) -> None:
    shown = project.kamal("accessory.logs", "store", version="v0").stdout
    assert "store booted with fast" in shown


def test_reboot_runs_a_new_container_and_keeps_the_data_directory(
    project: Project, booted: object
) -> None:
    sandbox, h2 = project.sandbox, host(project)
    before = container_id(project)
    checked_exec(sandbox, h2, f"docker exec {ACCESSORY} sh -c 'echo kept > /data/marker'")
    project.kamal("accessory.reboot", "store", version="v0")
    after = container_id(project)
    assert after != before
    assert inspect(sandbox, h2, ACCESSORY, "{{.State.Running}}") == "true"
    assert checked_exec(sandbox, h2, f"cat {DATA_DIR}/marker") == "kept\n"
    assert checked_exec(sandbox, h2, f"docker exec {ACCESSORY} cat /data/marker") == "kept\n"
    assert list_containers(sandbox, h2, f"name=^{ACCESSORY}$", running=False) == [ACCESSORY]


def test_remove_takes_container_image_and_directories_away(
    project: Project, booted: object
) -> None:
    """``accessory.remove`` has no confirmation (nor ``--yes``) yet: it removes at once."""
    sandbox, h2 = project.sandbox, host(project)
    project.kamal("accessory.remove", "store", version="v0")
    assert list_containers(sandbox, h2, f"name=^{ACCESSORY}$", running=False) == []
    code, _ = server_run(sandbox, h2, f"docker image inspect {IMAGE}")
    assert code != 0, "the accessory's image is still on the host"
    code, _ = server_run(sandbox, h2, f"test -e /root/{ACCESSORY}")
    assert code != 0, "the accessory's files and directories are still on the host"
