"""Embedding the collection in a project's own tasks.py, as the README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TASKS = '''
from invoke import Collection, task
from kamal_tasks import ns as kamal

@task
def before(c):
    """Runs before our version task."""
    c.run("echo before >> steps.log")

@task
def after(c):
    """Runs after our version task."""
    c.run("echo after >> steps.log")

kamal["version"].pre.append(before)
kamal["version"].post.append(after)

ns = Collection(before, after)
ns.add_collection(kamal, name="kamal")
'''


def inv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=project, capture_output=True, text=True
    )


def test_mounted_under_a_name_with_pre_and_post_steps(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    listing = inv(tmp_path, "--list")
    assert "kamal.deploy" in listing.stdout
    assert "kamal.env.push" in listing.stdout
    assert "before" in listing.stdout

    done = inv(tmp_path, "kamal.version")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.1.0 (Kamal 1.9.3)"
    assert (tmp_path / "steps.log").read_text() == "before\nafter\n"


def test_a_tasks_py_holding_only_the_import(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("from kamal_tasks import ns  # noqa: F401\n")
    done = inv(tmp_path, "docs", "--section", "boot")
    assert done.returncode == 0, done.stderr
    assert "boot:" in done.stdout
    assert "limit:" in done.stdout


def test_config_works_in_a_project_without_git_or_version(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("from kamal_tasks import ns  # noqa: F401\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(
        "service: app\nimage: me/app\nservers: [1.2.3.4]\n"
        "registry: {username: me, password: [PW]}\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "VERSION"}

    shown = subprocess.run(
        [sys.executable, "-m", "invoke", "config"], cwd=tmp_path, capture_output=True,
        text=True, env=env,
    )  # fmt: skip
    deploy = subprocess.run(
        [sys.executable, "-m", "invoke", "deploy", "--dry-run"], cwd=tmp_path,
        capture_output=True, text=True, env=env,
    )  # fmt: skip

    assert shown.returncode == 0, shown.stderr
    assert "version: null\n" in shown.stdout
    assert "password: '[REDACTED]'" in shown.stdout
    assert deploy.returncode == 1
    message = "ERROR: Can't determine the version: pass --version or set VERSION"
    assert deploy.stderr.strip() == message
