"""Top-level tasks: setup, deploy, redeploy, rollback, details, audit, config, docs, init, ..."""

from __future__ import annotations

import os
from pathlib import Path

from kamal_tasks.context import KamalContext
from kamal_tasks.errors import KamalError
from kamal_tasks.flows.answers import show
from kamal_tasks.task import kamal_task


@kamal_task(help={"section": "Only this section", "output": "Write Markdown pages to this dir"})
def docs(k: KamalContext, section: str | None = None, output: str | None = None) -> None:
    """Show documented example configuration (all sections, or one)."""
    from kamal_tasks.configuration import docs as config_docs

    if output:
        try:
            pages = config_docs.write_markdown(Path(output))
        except OSError as error:
            raise KamalError(f"--output {output}: {error.strerror or error}") from None
        for page in pages:
            k.output.info(f"Wrote {page}")
        return
    k.output.result(config_docs.example(section) if section else config_docs.render_all())


@kamal_task
def config(k: KamalContext) -> None:
    """Show the effective configuration (secrets redacted)."""
    import yaml

    from kamal_tasks.configuration.redaction import redacted

    text = yaml.safe_dump(redacted(k.config), sort_keys=False, allow_unicode=True)
    k.output.result(text.rstrip())


@kamal_task
def init(k: KamalContext) -> None:
    """Create config/deploy.yml, .kamal/.env and sample hooks."""
    from importlib import resources  # not at collection load

    templates = resources.files("kamal_tasks") / "templates"
    config_file = k.root / k.options.config_file
    _write_new(k, config_file, (templates / "deploy.yml").read_text())
    env_file = k.root / ".kamal" / ".env"
    if _write_new(k, env_file, (templates / "env").read_text()):
        env_file.chmod(0o600)
    _ignore_in_git(k, ".kamal/.env*")
    hooks = k.root / ".kamal" / "hooks"
    for sample in sorted((templates / "hooks").iterdir(), key=lambda t: t.name):
        if _write_new(k, hooks / sample.name, sample.read_text()):
            (hooks / sample.name).chmod(0o755)


def _write_new(k: KamalContext, path: Path, text: str) -> bool:
    """Write ``path`` unless it exists; a file that cannot be written is a one-line error."""
    shown = os.path.relpath(path, k.root)  # also for a --config-file outside the project
    if path.exists():
        k.output.info(f"{shown} already exists, left as it is")
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as error:
        raise KamalError(f"Cannot write {shown}: {error.strerror or error}") from None
    k.output.info(f"Created {shown}")
    return True


def _ignore_in_git(k: KamalContext, pattern: str) -> None:
    gitignore = k.root / ".gitignore"
    lines = gitignore.read_text().splitlines() if gitignore.exists() else []
    if pattern not in lines:
        gitignore.write_text("\n".join([*lines, pattern]) + "\n")
        k.output.info(f"Added {pattern} to .gitignore")


@kamal_task
def version(k: KamalContext) -> None:
    """Show the kamal-tasks version and the Kamal version it implements."""
    from kamal_tasks import KAMAL_COMPATIBILITY, __version__

    k.output.result(f"{__version__} (Kamal {KAMAL_COMPATIBILITY})")


# --- deploying -------------------------------------------------------------------------------


@kamal_task(help={"skip_push": "Don't build and push: pull the already-pushed image"})
def deploy(k: KamalContext, skip_push: bool = False) -> None:
    """Deploy the app: build, push, pull, and boot with zero downtime."""
    from kamal_tasks.flows import deploy as flows

    flows.deploy(k, skip_push=skip_push)


@kamal_task(help={"skip_push": "Don't build and push: pull the already-pushed image"})
def redeploy(k: KamalContext, skip_push: bool = False) -> None:
    """Deploy without logging in, booting Traefik or pruning."""
    from kamal_tasks.flows import deploy as flows

    flows.redeploy(k, skip_push=skip_push)


@kamal_task(positional=["rollback_version"], help={"rollback_version": "Version to roll back to"})
def rollback(k: KamalContext, rollback_version: str) -> None:
    """Roll back to a version whose containers are still on the hosts."""
    from kamal_tasks.flows import deploy as flows

    k.use_version(rollback_version)
    flows.rollback(k)


@kamal_task(help={"skip_push": "Don't build and push: pull the already-pushed image"})
def setup(k: KamalContext, skip_push: bool = False) -> None:
    """Bootstrap servers, push env files, boot accessories, then deploy."""
    from kamal_tasks.flows import deploy as flows

    flows.setup(k, skip_push=skip_push)


@kamal_task
def details(k: KamalContext) -> None:
    """Show details about all containers (Traefik, app, accessories)."""
    from kamal_tasks.commands import accessory, app, traefik

    config = k.config
    if config.traefik_hosts:
        show(k, config.traefik_hosts, traefik.info(), "Traefik")
    for role in config.roles:
        show(k, config.role_hosts(role), app.info(config, role), f"App {role.name}")
    for acc in config.accessories.values():
        show(k, acc.hosts, accessory.info(acc), f"Accessory {acc.name}")


@kamal_task(help={"lines": "How many lines of each host's log (default 50)"})
def audit(k: KamalContext, lines: int = 50) -> None:
    """Show the audit log of each host."""
    from kamal_tasks.commands import auditor

    show(k, k.config.hosts, auditor.reveal(k.config, lines), "Audit log")


LOGS_HELP = {
    "since": "Show lines since this time or duration (e.g. 2024-01-01T12:00:00, 10m)",
    "lines": "How many lines per host (default 100, 10 when following; all with --since/--grep)",
    "grep": "Only lines matching this pattern (searches the whole log unless --lines)",
    "grep_options": "Options for grep (e.g. -i)",
    "follow": "Follow the log on one host (the primary, or the one --hosts picks) until Ctrl-C",
}
#: The options of ``app.exec`` and ``server.exec`` that say what to run and how.
EXEC_HELP = {
    "command": "Command to run",
    "interactive": "With a terminal, on one host (the primary, or the one --hosts picks)",
}
YES_HELP = "Don't ask for confirmation (required without a terminal)"


@kamal_task(help={"yes": YES_HELP})
def remove(k: KamalContext, yes: bool = False) -> None:
    """Remove Traefik, app, accessories and registry session from the servers."""
    from kamal_tasks.flows import removal
    from kamal_tasks.prompt import confirm

    question = "This will remove all containers and images. Are you sure?"
    confirm("remove", question, yes=yes or k.options.dry_run)
    removal.remove_everything(k)
