"""The basic tasks (config, init, docs, version) and the task machinery, run for real."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from importlib import resources
from pathlib import Path

import invoke
import pytest
import yaml
from cli import clean_env, kamal
from invoke import Collection, Program

from kamal_tasks import KAMAL_COMPATIBILITY, __version__
from kamal_tasks.configuration import docs as config_docs
from kamal_tasks.context import KamalContext
from kamal_tasks.errors import NoMatch
from kamal_tasks.hooks import HOOK_NAMES
from kamal_tasks.options import COMMON_OPTIONS, Options
from kamal_tasks.task import kamal_task

REPO_ROOT = Path(__file__).resolve().parent.parent

DEPLOY_YML = """\
service: app
image: dhh/app
servers:
  web:
    - 1.1.1.1
    - 1.1.1.2
  workers:
    - 1.1.1.3
registry:
  server: registry.example.com
  username: user
  password:
    - KAMAL_REGISTRY_PASSWORD
env:
  clear:
    RAILS_ENV: production
"""

PRE_INIT_LOG = "env | grep '^KAMAL_' > .kamal/pre-init-saw-kamal-vars; true\n"


def write_hook(root: Path, name: str, body: str) -> Path:
    path = root / ".kamal" / "hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    (tmp_path / ".kamal").mkdir()
    (tmp_path / ".kamal/.env").write_text("KAMAL_REGISTRY_PASSWORD=hunter2\n")
    return tmp_path


# --- config ------------------------------------------------------------------------------------


def test_config_prints_the_effective_config_redacted(project: Path) -> None:
    done = kamal(project, "config", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "hunter2" not in done.stdout
    assert yaml.safe_load(done.stdout) == {
        "service": "app",
        "image": "dhh/app",
        "servers": {"web": ["1.1.1.1", "1.1.1.2"], "workers": ["1.1.1.3"]},
        "registry": {
            "server": "registry.example.com",
            "username": "user",
            "password": "[REDACTED]",
        },
        "env": {"clear": {"RAILS_ENV": "production"}},
        "version": "v1",
        "destination": None,
        "absolute_image": "registry.example.com/dhh/app:v1",
        "primary_host": "1.1.1.1",
        "roles": {"web": ["1.1.1.1", "1.1.1.2"], "workers": ["1.1.1.3"]},
    }
    assert "  password: '[REDACTED]'" in done.stdout.splitlines()


def test_config_with_a_destination(project: Path) -> None:
    (project / "config/deploy.staging.yml").write_text(
        "servers:\n  web:\n    - 5.5.5.5\n  workers:\n    - 5.5.5.6\n"
    )
    done = kamal(project, "config", "-d", "staging", "--version", "v1")
    assert done.returncode == 0, done.stderr
    shown = yaml.safe_load(done.stdout)
    assert (shown["destination"], shown["primary_host"]) == ("staging", "5.5.5.5")
    assert shown["roles"] == {"web": ["5.5.5.5"], "workers": ["5.5.5.6"]}


def test_config_version_from_the_environment(project: Path) -> None:
    done = kamal(project, "config", VERSION="from-env")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["version"] == "from-env"


def test_config_version_from_git(project: Path) -> None:
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    (project / ".gitignore").write_text(".kamal/\n")
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "c"], cwd=project, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()
    done = kamal(project, "config")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["version"] == sha


def test_bad_config_exits_1_with_the_path_named_messages(project: Path) -> None:
    (project / "config/deploy.yml").write_text(
        "service: app\nimage: dhh/app\nservers:\n  - 1.1.1.1: tag1\n    1.1.1.2: tag2\n"
        "registry:\n  password: x\n"
    )
    done = kamal(project, "config", "--version", "v1")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "ERROR: servers/0: multiple hosts found\nregistry/username: is required\n"
    )


def test_required_destination_exits_1(project: Path) -> None:
    with (project / "config/deploy.yml").open("a") as config_file:
        config_file.write("require_destination: true\n")
    done = kamal(project, "config", "--version", "v1")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "ERROR: You must specify a destination (require_destination is set)\n"


def test_missing_config_file_exits_1(tmp_path: Path) -> None:
    done = kamal(tmp_path, "config", "--version", "v1")
    assert done.returncode == 1
    assert done.stderr == (
        f"ERROR: Configuration file not found: {tmp_path / 'config' / 'deploy.yml'}\n"
    )
    assert "Traceback" not in done.stderr


def test_no_host_match_exits_1(project: Path) -> None:
    done = kamal(project, "config", "--version", "v1", "--hosts", "9.9.9.*")
    assert (done.returncode, done.stderr) == (1, "ERROR: No --hosts match for 9.9.9.*\n")


def test_root_env_file_warns(project: Path) -> None:
    (project / ".kamal/.env").unlink()
    (project / ".env").write_text("KAMAL_REGISTRY_PASSWORD=root\n")
    done = kamal(project, "config", "--version", "v1")
    assert done.returncode == 0
    assert done.stderr == (
        "WARNING: Loading env from the project root .env files is deprecated: "
        "move them to .kamal/\n"
    )


# --- pre-init ----------------------------------------------------------------------------------


def test_pre_init_runs_before_the_config_is_read(project: Path) -> None:
    (project / "config/deploy.yml").unlink()
    write_hook(project, "pre-init", f"cat > config/deploy.yml <<'EOF'\n{DEPLOY_YML}EOF\n")
    done = kamal(project, "config", "--version", "v1")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "Running the pre-init hook...\n"
    assert yaml.safe_load(done.stdout)["service"] == "app"


def test_pre_init_sees_no_kamal_variables(project: Path) -> None:
    write_hook(project, "pre-init", PRE_INIT_LOG)
    done = kamal(project, "config", "--version", "v1", "-d", "", "--hosts", "1.1.1.*")
    assert done.returncode == 0, done.stderr
    assert (project / ".kamal/pre-init-saw-kamal-vars").read_text() == ""


def test_failing_pre_init_stops_the_command(project: Path) -> None:
    write_hook(project, "pre-init", "echo 'not logged in to the vault'\nexit 2\n")
    done = kamal(project, "config", "--version", "v1")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "Running the pre-init hook...\nERROR: Hook `pre-init` failed:\nnot logged in to the vault\n"
    )


def test_skip_hooks_skips_pre_init(project: Path) -> None:
    write_hook(project, "pre-init", "exit 1\n")
    done = kamal(project, "config", "--version", "v1", "--skip-hooks")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_pre_init_can_write_the_env_file_the_config_then_sees(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("KAMAL_") or name == "VERSION":
            monkeypatch.delenv(name)
    monkeypatch.chdir(project)
    (project / ".kamal/.env").unlink()
    write_hook(
        project,
        "pre-init",
        PRE_INIT_LOG + "echo 'KAMAL_REGISTRY_PASSWORD=$(echo from-vault)' > .kamal/.env\n",
    )
    k = KamalContext(invoke.Context(), Options(version="v1"), root=project)
    config = k.config
    assert k.env_values["KAMAL_REGISTRY_PASSWORD"] == "from-vault"
    assert config.registry.resolved_password(config.env_values) == "from-vault"
    assert (project / ".kamal/pre-init-saw-kamal-vars").read_text() == ""
    k.close()


def test_context_applies_the_selection_options(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.delenv("KAMAL_REGISTRY_PASSWORD", raising=False)
    k = KamalContext(invoke.Context(), Options(version="v1", roles="work*"), root=project)
    assert k.config.hosts == ["1.1.1.3"]
    assert k.config.version == "v1"
    assert k.env_values["KAMAL_REGISTRY_PASSWORD"] == "hunter2"
    primary = KamalContext(invoke.Context(), Options(version="v1", primary=True), root=project)
    assert primary.config.hosts == ["1.1.1.1"]


def test_process_environment_wins_over_env_files(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("KAMAL_REGISTRY_PASSWORD", "from-process")
    k = KamalContext(invoke.Context(), Options(version="v1"), root=project)
    assert k.config.registry.resolved_password(k.config.env_values) == "from-process"


# --- init ------------------------------------------------------------------------------------


def test_init_writes_config_env_and_sample_hooks(tmp_path: Path) -> None:
    done = kamal(tmp_path, "init")
    assert done.returncode == 0, done.stderr
    templates = resources.files("kamal_tasks") / "templates"
    assert (tmp_path / "config/deploy.yml").read_text() == (templates / "deploy.yml").read_text()
    env_file = tmp_path / ".kamal/.env"
    assert env_file.read_text() == (templates / "env").read_text()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert (tmp_path / ".gitignore").read_text() == ".kamal/.env*\n"
    hooks = tmp_path / ".kamal/hooks"
    assert sorted(path.name for path in hooks.iterdir()) == sorted(
        f"{name}.sample" for name in HOOK_NAMES
    )
    for sample in hooks.iterdir():
        assert stat.S_IMODE(sample.stat().st_mode) == 0o755
        assert sample.read_text().startswith("#!")
    assert "Created config/deploy.yml" in done.stderr.splitlines()
    assert "Added .kamal/.env* to .gitignore" in done.stderr.splitlines()


def test_init_env_file_is_git_ignored(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    assert kamal(tmp_path, "init").returncode == 0
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.kamal/.env*\n"
    for path in (".kamal/.env", ".kamal/.env.staging"):
        check = subprocess.run(["git", "check-ignore", "-q", path], cwd=tmp_path)
        assert check.returncode == 0, path
    check = subprocess.run(["git", "check-ignore", "-q", "config/deploy.yml"], cwd=tmp_path)
    assert check.returncode == 1


def test_init_keeps_existing_files(tmp_path: Path) -> None:
    assert kamal(tmp_path, "init").returncode == 0
    (tmp_path / "config/deploy.yml").write_text("mine\n")
    (tmp_path / ".kamal/.env").write_text("MINE=1\n")
    done = kamal(tmp_path, "init")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "config/deploy.yml").read_text() == "mine\n"
    assert (tmp_path / ".kamal/.env").read_text() == "MINE=1\n"
    assert (tmp_path / ".gitignore").read_text() == ".kamal/.env*\n"
    lines = done.stderr.splitlines()
    assert "config/deploy.yml already exists, left as it is" in lines
    assert ".kamal/.env already exists, left as it is" in lines
    assert not any(line.startswith("Created") for line in lines)


def test_init_then_config(tmp_path: Path) -> None:
    assert kamal(tmp_path, "init").returncode == 0
    done = kamal(tmp_path, "config", "--version", "v1")
    assert done.returncode == 0, done.stderr
    shown = yaml.safe_load(done.stdout)
    assert (shown["service"], shown["primary_host"]) == ("my-app", "192.168.0.1")
    assert shown["registry"]["password"] == "[REDACTED]"


# --- docs and version ----------------------------------------------------------------------------


def test_version_task(tmp_path: Path) -> None:
    done = kamal(tmp_path, "version")
    expected = f"{__version__} (Kamal {KAMAL_COMPATIBILITY})\n"
    assert (done.returncode, done.stdout, done.stderr) == (0, expected, "")
    assert (__version__, KAMAL_COMPATIBILITY) == ("0.1.0", "1.9.3")


def test_docs_task_for_one_section(tmp_path: Path) -> None:
    done = kamal(tmp_path, "docs", "--section", "ssh")
    assert done.returncode == 0, done.stderr
    assert done.stdout == config_docs.example("ssh").rstrip("\n") + "\n"


def test_docs_task_for_every_section(tmp_path: Path) -> None:
    done = kamal(tmp_path, "docs")
    assert done.returncode == 0, done.stderr
    assert done.stdout == config_docs.render_all().rstrip("\n") + "\n"


# --- the collection -------------------------------------------------------------------------------


def test_inv_list_from_the_repo_root() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"],
        cwd=REPO_ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Available tasks:"
    listed: dict[str, str] = {}
    name = ""
    for line in lines[1:]:
        if line.startswith("  ") and not line.startswith("   "):
            name, _, text = line.strip().partition(" ")
            listed[name] = text.strip()
        elif line.strip():  # --list wraps long help onto indented lines
            listed[name] += " " + line.strip()
    assert listed["config"] == "Show the effective configuration (secrets redacted)."
    assert listed["docs"] == "Show documented example configuration (all sections, or one)."
    assert listed["init"] == "Create config/deploy.yml, .kamal/.env and sample hooks."
    assert listed["version"] == "Show the kamal-tasks version and the Kamal version it implements."


HEAVY = ("fabric", "paramiko", "voluptuous", "yaml")


def test_loading_the_collection_imports_nothing_heavy() -> None:
    # Invoke itself imports PyYAML (its vendored yaml pulls in yaml._yaml), so compare
    # with what `import invoke` alone loads.
    code = (
        "import sys; import invoke; before = set(sys.modules); "
        "import kamal_tasks; from kamal_tasks import ns; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules and m not in before))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


def test_collection_loads_with_heavy_modules_unavailable() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {HEAVY!r}:\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from kamal_tasks import ns\n"
        "names = set(ns.task_names)\n"
        "print(sorted(n for n in ('config', 'docs', 'init', 'version') if n in names))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, "['config', 'docs', 'init', 'version']\n"), (
        done.stderr
    )


# --- the kamal_task decorator ------------------------------------------------------------------

SEEN: list[KamalContext] = []


@kamal_task(help={"name": "A name"})
def probe(k: KamalContext, name: str = "x") -> None:
    """Record the context."""
    SEEN.append(k)
    if name == "fail":
        raise NoMatch("hosts", "nowhere")


def run_program(*args: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("INVOKE_"):
            monkeypatch.delenv(key)
    program = Program(namespace=Collection(probe), name="kt", binary="kt")
    program.run(["kt", "probe", *args])


def test_decorator_adds_the_global_options() -> None:
    arguments = {argument.name: argument for argument in probe.get_arguments()}
    assert set(arguments) == {"name", *COMMON_OPTIONS}
    assert arguments["name"].help == "A name"
    assert arguments["hosts"].help == COMMON_OPTIONS["hosts"][1]
    assert arguments["primary"].kind is bool
    assert arguments["primary"].default is False


def test_decorated_task_gets_resolved_options(monkeypatch: pytest.MonkeyPatch) -> None:
    SEEN.clear()
    run_program(
        "--name",
        "y",
        "--hosts",
        "a,b",
        "--destination",
        "staging",
        "--primary",
        monkeypatch=monkeypatch,
    )
    (k,) = SEEN
    assert k.options == Options(
        destination="staging", hosts="a,b", primary=True, config_file="config/deploy.yml"
    )


def test_decorated_task_turns_our_errors_into_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        run_program("--name", "fail", monkeypatch=monkeypatch)
    assert raised.value.code == 1
    captured = capsys.readouterr()
    assert captured.err == "ERROR: No --hosts match for nowhere\n"
    assert "Traceback" not in captured.err


def test_verbosity_options_set_the_output_level(monkeypatch: pytest.MonkeyPatch) -> None:
    SEEN.clear()
    run_program("--verbose", monkeypatch=monkeypatch)
    run_program("--quiet", monkeypatch=monkeypatch)
    run_program(monkeypatch=monkeypatch)
    assert [k.output.level for k in SEEN] == [2, 0, 1]
