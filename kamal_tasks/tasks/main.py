"""Top-level tasks: setup, deploy, redeploy, rollback, details, audit, config, docs, init, ..."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kamal_tasks.context import KamalContext, kamal_task
from kamal_tasks.errors import KamalError


@kamal_task(help={"section": "Only this section", "output": "Write Markdown pages to this dir"})
def docs(k: KamalContext, section: str | None = None, output: str | None = None) -> None:
    """Show documented example configuration (all sections, or one)."""
    from kamal_tasks.configuration import docs as config_docs

    if output:
        for page in config_docs.write_markdown(Path(output)):
            k.output.info(f"Wrote {page}")
        return
    try:
        text = config_docs.example(section) if section else config_docs.render_all()
    except KeyError as error:
        raise KamalError(str(error)) from None
    k.output.result(text)


@kamal_task
def config(k: KamalContext) -> None:
    """Show the effective configuration (secrets redacted)."""
    import yaml

    text = yaml.safe_dump(k.config.redacted(), sort_keys=False, allow_unicode=True)
    k.output.result(text.rstrip())


@kamal_task
def init(k: KamalContext) -> None:
    """Create config/deploy.yml, .kamal/.env and sample hooks."""
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
    if path.exists():
        k.output.info(f"{path.relative_to(k.root)} already exists, left as it is")
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    k.output.info(f"Created {path.relative_to(k.root)}")
    return True


def _ignore_in_git(k: KamalContext, pattern: str) -> None:
    gitignore = k.root / ".gitignore"
    lines = gitignore.read_text().splitlines() if gitignore.exists() else []
    if pattern not in lines:
        gitignore.write_text("\n".join([*lines, pattern]) + "\n")
        k.output.info(f"Added {pattern} to .gitignore")


@kamal_task
def version(k: KamalContext) -> None:
    """Show the kamal-tasks version."""
    from kamal_tasks import __version__

    k.output.result(__version__)
