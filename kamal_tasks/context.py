"""The explicit context every task receives: options, configuration, runner, output and hooks."""

from __future__ import annotations

import functools
import getpass
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamal_tasks import errors
from kamal_tasks.errors import KamalError
from kamal_tasks.options import Options
from kamal_tasks.output import NORMAL, QUIET, VERBOSE, Output
from kamal_tasks.signals import StopRequest

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config
    from kamal_tasks.runner import Runner


class KamalContext:
    """What a task works with: options, the loaded configuration, the runner and output.

    The configuration loads on first use: the ``pre-init`` hook runs, then the env files are
    read, then ``config/deploy.yml`` is parsed and validated.
    """

    def __init__(
        self,
        c: Any,
        options: Options,
        *,
        command: str = "",
        subcommand: str | None = None,
        runner: Runner | None = None,
        output: Output | None = None,
        root: Path | None = None,
    ) -> None:
        self.c = c
        self.options = options
        self.command, self.subcommand = command, subcommand
        self.root = root or Path.cwd()
        level = VERBOSE if options.verbose else QUIET if options.quiet else NORMAL
        self.output = output or (runner.output if runner else Output(level))
        self._runner = runner
        self._config: Config | None = None
        self.env_values: dict[str, str] = {}
        self.started = time.monotonic()
        #: Set by SIGINT/SIGTERM; shared with the runner, which checks it before each command.
        self.stop: StopRequest = runner.stop if runner else StopRequest()
        #: How deep ``lock.held`` blocks nest, and the lock's fate ("held", "released").
        self.lock_depth = 0
        self.lock_state: str | None = None
        #: Seams for tests: how to pause, and how to make random ids (cords, renames).
        self.sleep: Callable[[float], None] = self.stop.sleep
        self.new_id: Callable[[], str] = new_id
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        if options.dry_run:
            self.sleep = lambda seconds: None

    # --- configuration ----------------------------------------------------------------
    @property
    def config(self) -> Config:
        """The selected configuration (loaded once)."""
        if self._config is None:
            try:
                self._config = self._load_config()
            except KamalError:
                raise
            except Exception as error:
                if self.options.verbose:
                    raise  # the traceback, to report or fix the bug
                raise errors.LoadingFailed(self.options.config_file, error) from error
        return self._config

    def _load_config(self) -> Config:
        from kamal_tasks.configuration import Config
        from kamal_tasks.configuration.validation import check_destination
        from kamal_tasks.configuration.version import app_version, checked_version
        from kamal_tasks.env_loading import load_env
        from kamal_tasks.hooks import run_hook

        check_destination(self.options.destination)
        if self.options.version:
            checked_version(self.options.version, "--version")
        if not self.options.skip_hooks:
            hooks_path = peek_hooks_path(self.root / self.options.config_file)
            run_hook(
                self.runner_for_hooks, hooks_path, "pre-init", {}, self.root,
                timeout=self.options.hook_timeout,
            )  # fmt: skip
        loaded = load_env(
            self.root,
            self.options.destination,
            timeout=self.options.env_command_timeout,
            dry_run=self.options.dry_run,
            on_stop=self.stop.pending_signal,
        )
        for warning in loaded.warnings:
            self.output.warning(warning)
        for command in loaded.not_run:
            self.output.info(f"Dry run: not running {command}; its output is a placeholder")
        self.env_values = {**loaded.values, **os.environ}
        config = Config.load(
            self.root / self.options.config_file,
            version=lambda: app_version(self.options.version, self.root),
            destination=self.options.destination,
            env_values=self.env_values,
        )
        return config.select(self.options.hosts, self.options.roles, self.options.primary)

    def use_version(self, version: str) -> None:
        """Act on ``version`` (e.g. ``rollback VERSION``); must precede loading."""
        import dataclasses

        self.options = dataclasses.replace(self.options, version=version)
        self._config = None

    # --- execution --------------------------------------------------------------------
    @property
    def runner(self) -> Runner:
        """The runner made by ``connect`` (which the first use calls)."""
        return self._runner if self._runner is not None else self.connect()

    def connect(self) -> Runner:
        """Make the runner (a dry run prints, otherwise Fabric over SSH), then run the
        ``pre-connect`` hook: once, before the first command reaches a host."""
        if self._runner is not None:
            return self._runner
        from kamal_tasks.dry_run import DryRunner
        from kamal_tasks.ssh import SshRunner

        config = self.config
        if self.options.dry_run:
            from kamal_tasks.flows.dry_run import assume_success

            self._runner = DryRunner(self.output, responder=assume_success)
        else:
            self._runner = SshRunner(config.ssh, config.sshkit, self.c, self.output)
        self._runner.stop = self.stop
        self.hook("pre-connect")
        return self._runner

    @property
    def runner_for_hooks(self) -> Runner:
        """A runner for local commands that works before the configuration is loaded."""
        if self._runner is not None:
            return self._runner
        from kamal_tasks.dry_run import DryRunner
        from kamal_tasks.runner import Runner

        runner = DryRunner(self.output) if self.options.dry_run else Runner(self.output, self.c)
        runner.stop = self.stop
        return runner

    def hook(
        self, name: str, *, runtime: float | None = None, hosts: list[str] | None = None
    ) -> bool:
        """Run hook ``name`` with the ``KAMAL_*`` variables, unless hooks are skipped.

        ``KAMAL_HOSTS`` lists ``hosts`` (default: every selected host).
        """
        if self.options.skip_hooks:
            return False
        from kamal_tasks.commands.hooks import env as hook_env
        from kamal_tasks.hooks import run_hook

        config = self.config
        env = hook_env(
            config,
            command=self.command,
            subcommand=self.subcommand,
            performer=self.performer,
            recorded_at=self.now(),
            hosts=config.hosts if hosts is None else hosts,
            runtime=runtime,
        )
        return run_hook(
            self.runner, config.hooks_path, name, env, self.root, timeout=self.options.hook_timeout
        )

    @functools.cached_property
    def performer(self) -> str:
        """Who is deploying: the git user's email, else the login name."""
        from kamal_tasks.configuration.version import git

        return git("config", "user.email", cwd=self.root) or getpass.getuser()

    def now(self) -> datetime:
        """The current time in UTC (a seam for tests)."""
        return self.clock()

    @property
    def runtime(self) -> float:
        """Seconds since the task started."""
        return time.monotonic() - self.started

    def close(self) -> None:
        """Close connections."""
        if self._runner is not None:
            self._runner.close()


def new_id() -> str:
    """16 random hex digits (cord ids, hostname suffixes, rename marks)."""
    import secrets  # not at collection load

    return secrets.token_hex(8)


def peek_hooks_path(config_file: Path) -> str:
    """``hooks_path`` from the base config file, read before anything else is loaded.

    The ``pre-init`` hook runs before env files are read or the configuration is parsed, so
    only this one plain value is looked up (default ``.kamal/hooks``).
    """
    from kamal_tasks.configuration.loader import read_yaml
    from kamal_tasks.errors import KamalError

    try:
        raw = read_yaml(config_file)
    except KamalError:  # reported when the configuration itself is loaded (an ERB value may
        return ".kamal/hooks"  # need .kamal/.env, which is read after pre-init)
    value = raw.get("hooks_path") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else ".kamal/hooks"
