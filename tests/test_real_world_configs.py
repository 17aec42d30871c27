"""Real users' Kamal 1.x configuration files, exactly as they wrote them.

Read from ``shared/real-world-configs/`` beside the repository (or beside one of its parent
directories; ``KAMAL_TASKS_REAL_WORLD_CONFIGS`` overrides), never copied into it. Each folder
holds one project's ``config/deploy.yml`` (and ``deploy.<destination>.yml`` files) and
``secrets``, the env variables they need. Every variant that Kamal 1.9.3 accepts must load,
validate and plan ``deploy --dry-run`` through the real CLI with dummy secrets; each variant it
rejects must be refused with a message naming the key.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from cli import kamal

from kamal_tasks.configuration import Config

ENV_OVERRIDE = "KAMAL_TASKS_REAL_WORLD_CONFIGS"

#: The variants Kamal 1.9.3 rejects (the folder's README), and the line we refuse them with.
REJECTED = {
    "02-alco-company-mortimer-bellis": "servers/web/options: should be a hash",
    "09-jaspermayone-greenhouse": "ssh: should be a hash",
    "16-rbriski-force": "You must specify a destination (require_destination is set)",
    "18-TelosLabs-rails-world": "You must specify a destination (require_destination is set)",
    "19-thtg88-mrsk-demo": "accessories/db/env: unknown keys: files, directories",
}
ERB_ENV = re.compile(r"""ENV(?:\s*\[|\.fetch\s*\()\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
PLAN_LINE = re.compile(r"^\[([^\]]+)\] \S")


def configs_dir() -> Path | None:
    """Where the real-world configs are: the override, else ``shared/real-world-configs``
    beside the repository root or beside the nearest parent directory that has one."""
    if os.environ.get(ENV_OVERRIDE):
        return Path(os.environ[ENV_OVERRIDE])
    repo_root = Path(__file__).resolve().parents[1]
    for directory in repo_root.parents:
        candidate = directory / "shared" / "real-world-configs"
        if candidate.is_dir():
            return candidate
    return None


class Variant(NamedTuple):
    """One project's configuration with or without one of its destinations."""

    folder: Path
    destination: str | None

    @property
    def id(self) -> str:
        return self.folder.name + (f"@{self.destination}" if self.destination else "")

    @property
    def rejection(self) -> str | None:
        return None if self.destination else REJECTED.get(self.folder.name)


def variants(root: Path) -> list[Variant]:
    """Every folder's base file, then each of its destinations, in name order."""
    found = []
    for folder in sorted(path for path in root.iterdir() if (path / "config").is_dir()):
        found.append(Variant(folder, None))
        for file in sorted((folder / "config").glob("deploy.*.yml")):
            found.append(Variant(folder, file.name.split(".")[1]))
    return found


ROOT = configs_dir()
ABSENT = (
    f"real-world configs not found ({ROOT or 'no shared/real-world-configs beside the repository'}"
    f"; set {ENV_OVERRIDE} to point at them)"
)
VARIANTS = variants(ROOT) if ROOT and ROOT.is_dir() else []
PARAMS = [pytest.param(variant, id=variant.id) for variant in VARIANTS] or [
    pytest.param(None, marks=pytest.mark.skip(reason=ABSENT), id="absent")
]


def dummy_env(variant: Variant) -> dict[str, str]:
    """A dummy value for every variable named in ``secrets`` or read by the files' ERB."""
    names = set((variant.folder / "secrets").read_text().split())
    for file in (variant.folder / "config").glob("deploy*.yml"):
        names.update(ERB_ENV.findall(file.read_text()))
    return {name: name.lower().replace("_", "-") + "-dummy" for name in sorted(names)}


def project(variant: Variant, tmp_path: Path) -> Path:
    """A throwaway project holding a copy of the variant's ``config/`` (outside the repo)."""
    shutil.copytree(variant.folder / "config", tmp_path / "config")
    return tmp_path


def secret_names(node: Any) -> set[str]:
    """Names listed under any ``secret:`` key of a raw configuration."""
    if isinstance(node, dict):
        found = set(node["secret"]) if isinstance(node.get("secret"), list) else set()
        return found.union(*(secret_names(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(secret_names(item) for item in node))
    return set()


def test_the_folder_holds_what_its_readme_says() -> None:
    if not VARIANTS:
        pytest.skip(ABSENT)
    assert len({variant.folder for variant in VARIANTS}) == 22
    assert len(VARIANTS) == 28
    assert sum(variant.rejection is None for variant in VARIANTS) == 23
    assert {variant.folder.name for variant in VARIANTS if variant.rejection} == set(REJECTED)


@pytest.mark.parametrize("variant", PARAMS)
def test_variant(variant: Variant, tmp_path: Path) -> None:
    """Kamal 1.9.3's verdict: accepted ones plan a dry-run deploy, rejected ones are refused."""
    env = dummy_env(variant)
    root = project(variant, tmp_path)
    destination = ["-d", variant.destination] if variant.destination else []
    done = kamal(root, "deploy", "--dry-run", "--version", "1", *destination, **env)

    assert "Traceback" not in done.stderr + done.stdout
    if variant.rejection:
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr.startswith("ERROR: ")
        assert variant.rejection in done.stderr.removeprefix("ERROR: ").splitlines()
        return

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(PLAN_LINE.match(line) for line in lines), done.stdout
    assert "<%" not in done.stdout
    # the plan reaches exactly the configured hosts (ERB rendered with the dummy values)
    config = Config.load(
        root / "config/deploy.yml", version="1", destination=variant.destination, env_values=env
    )
    planned = {PLAN_LINE.match(line)[1] for line in lines} - {"local"}
    assert planned == set(config.hosts)
    assert any(" docker run " in f" {line} " for line in lines)
    # values of env secrets never appear in the plan
    shown = {name for name in secret_names(config.raw) if env.get(name, "\0") in done.stdout}
    assert shown == set()
