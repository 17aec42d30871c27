"""``remove`` also takes the service's files in ``.kamal`` away: env files, audit log, cords
and asset copies, then the empty directories (found missing by the integration test)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kamal_tasks.commands import server
from kamal_tasks.configuration import Config
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.flows import removal
from kamal_tasks.options import Options
from kamal_tasks.output import Output

ROLES = {"web": ["1.1.1.1", "1.1.1.2"], "workers": ["1.1.1.3"]}
HEX16 = "[0-9a-f]" * 16  # a cord id: secrets.token_hex(8)
ACCESSORIES = {"cache": {"image": "redis:7", "host": "1.1.1.9"}}


def test_remove_service_files_command(make_config: Callable[..., Config]) -> None:
    config = make_config(servers=ROLES)
    assert server.remove_service_files(config) == (
        "rm -rf .kamal/app-audit.log "
        f".kamal/cords/app-web-{HEX16} .kamal/assets/extracted/app-web-* "
        ".kamal/assets/volumes/app-web-* "
        f".kamal/cords/app-workers-{HEX16} .kamal/assets/extracted/app-workers-* "
        ".kamal/assets/volumes/app-workers-*"
    )
    staging = make_config(servers=ROLES, destination="staging", run_directory="run")
    assert server.remove_service_files(staging).startswith(
        f"rm -rf run/app-staging-audit.log run/cords/app-web-staging-{HEX16} "
    )


def test_remove_empty_run_directories_command(make_config: Callable[..., Config]) -> None:
    assert server.remove_empty_run_directories(make_config()) == (
        "find .kamal -depth -type d -empty -delete"
    )


def test_the_commands_leave_other_services_files_alone(
    tmp_path: Path, make_config: Callable[..., Config]
) -> None:
    """Run for real by ``sh`` in a home directory shared with service ``other``."""
    ours = [
        ".kamal/app-audit.log",
        ".kamal/cords/app-web-0123456789abcdef/cord",
        ".kamal/assets/extracted/app-web-v1/app.css",
        ".kamal/assets/volumes/app-workers-v1/app.css",
    ]
    theirs = [
        ".kamal/other-audit.log",
        ".kamal/cords/other-web-abc123/cord",
        # the same service deployed to a destination, and a role whose name starts the same:
        # their live cords stay (deleting one would turn that container unhealthy)
        ".kamal/cords/app-web-staging-0123456789abcdef/cord",
        ".kamal/cords/app-web-api-0123456789abcdef/cord",
        ".kamal/assets/volumes/other-web-v1/app.css",
        ".kamal/env/roles/other-web.env",
    ]
    for path in ours + theirs:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    (tmp_path / ".kamal/locks").mkdir()
    config = make_config(servers=ROLES)
    for command in (
        server.remove_service_files(config),
        server.remove_empty_run_directories(config),
    ):
        subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True)

    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(theirs)
    assert not (tmp_path / ".kamal/locks").exists()
    assert not (tmp_path / ".kamal/cords/app-web-0123456789abcdef").exists()
    # once nothing is left, the run directory goes too
    (tmp_path / "empty/.kamal/env/roles").mkdir(parents=True)
    subprocess.run(
        ["sh", "-c", server.remove_empty_run_directories(config)],
        cwd=tmp_path / "empty",
        check=True,
    )
    assert list((tmp_path / "empty").iterdir()) == []


def test_remove_everything_deletes_env_and_run_files_then_empty_directories(
    tmp_path: Path, make_config: Callable[..., Config]
) -> None:
    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()), echo=False)
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=tmp_path)
    k._config = make_config(servers=ROLES, accessories=ACCESSORIES)
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice"
    removal.remove_everything(k)

    config = k.config
    files, empties = (
        server.remove_service_files(config),
        server.remove_empty_run_directories(config),
    )
    assert "rm -f .kamal/env/roles/app-web.env" in runner.commands_on("1.1.1.1")
    assert "rm -f .kamal/env/traefik/traefik.env" in runner.commands_on("1.1.1.2")
    assert "rm -f .kamal/env/roles/app-workers.env" in runner.commands_on("1.1.1.3")
    assert "rm -f .kamal/env/accessories/app-cache.env" in runner.commands_on("1.1.1.9")
    for host in ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.9"]:
        commands = runner.commands_on(host)
        assert commands[-1] == empties
        assert files in commands
    primary = runner.commands_on("1.1.1.1")
    release = "rm .kamal/locks/app/details && rm -r .kamal/locks/app"
    assert primary.index(files) < primary.index(release) < primary.index(empties)
