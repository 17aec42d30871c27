"""What the package says about itself: one version everywhere, license, types, changelog."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import kamal_tasks
from tests.cli import kamal

REPO_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once_and_the_build_reads_it() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "kamal_tasks.__version__"
    }
    assert re.fullmatch(r"\d+\.\d+\.\d+", kamal_tasks.__version__)


def test_installed_metadata_has_this_version() -> None:
    installed = metadata.version("kamal-tasks")
    assert installed == kamal_tasks.__version__, (
        f"installed kamal-tasks {installed} is not {kamal_tasks.__version__}: "
        "reinstall it (pip install -e '.[test]')"
    )


def test_inv_version_shows_this_version(tmp_path: Path) -> None:
    done = kamal(tmp_path, "version")
    assert done.returncode == 0, done.stderr
    compatibility = kamal_tasks.KAMAL_COMPATIBILITY
    assert done.stdout == f"{kamal_tasks.__version__} (Kamal {compatibility})\n"
    done = kamal(tmp_path, "--version")
    assert done.stdout == f"kamal-tasks {kamal_tasks.__version__}\n"


def test_the_changelog_has_an_unreleased_section_and_this_version() -> None:
    headings = re.findall(r"^## \[([^\]]+)\]", (REPO_ROOT / "CHANGELOG.md").read_text(), re.M)
    assert headings[0] == "Unreleased"
    assert kamal_tasks.__version__ in headings


def test_mit_license_in_metadata_and_shipped() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    assert (REPO_ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_type_hints_are_shipped() -> None:
    assert (REPO_ROOT / "kamal_tasks" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["kamal_tasks"]
    assert "Typing :: Typed" in PYPROJECT["project"]["classifiers"]
