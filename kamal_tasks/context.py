"""The explicit context every task receives, and the decorator that adds global options."""

from __future__ import annotations

import functools
import getpass
import inspect
import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kamal_tasks.errors import FlagAsValue, KamalError, LoadingFailed
from kamal_tasks.options import COMMON_OPTIONS, SHORT_FLAGS, TASK_SHORT_FLAGS, Options
from kamal_tasks.output import CLOSED_PIPE_EXIT, NORMAL, QUIET, VERBOSE, Output, OutputClosed
from kamal_tasks.runner import Interrupted, StopRequest, exit_code, stop_on_signals

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
        self.new_id: Callable[[], str] = lambda: secrets.token_hex(8)
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
                raise LoadingFailed(self.options.config_file, error) from error
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
            on_stop=lambda: self.stop.signal_name if self.stop.requested else None,
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
        """The runner: a dry run prints, otherwise Fabric over SSH."""
        if self._runner is None:
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


def peek_hooks_path(config_file: Path) -> str:
    """``hooks_path`` from the base config file, read before anything else is loaded.

    The ``pre-init`` hook runs before env files are read or the configuration is parsed, so
    only this one plain value is looked up (default ``.kamal/hooks``).
    """
    from kamal_tasks.configuration.loader import read_yaml
    from kamal_tasks.errors import ConfigurationError

    try:
        raw = read_yaml(config_file)
    except ConfigurationError:  # reported when the configuration itself is loaded
        return ".kamal/hooks"
    value = raw.get("hooks_path") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else ".kamal/hooks"


def kamal_task(*args: Any, **task_kwargs: Any) -> Any:
    """Like Invoke's ``@task``, for bodies taking a ``KamalContext`` first.

    Adds the global options (``--destination``, ``--hosts``, ...) to the task, resolves them
    against Invoke config (``kamal.*``), and turns our errors into a clean message and exit 1.
    """
    if args and callable(args[0]):
        return kamal_task(**task_kwargs)(args[0])

    def decorate(body: Callable[..., Any]) -> Any:
        from invoke import task

        positional = list(task_kwargs.get("positional") or [])
        made: list[Any] = []
        wrapper = _with_common_options(body, positional, made)
        help_texts = {name: text for name, (_, text) in COMMON_OPTIONS.items()}
        help_texts.update(task_kwargs.pop("help", {}))
        made.append(task(wrapper, help=help_texts, klass=_kamal_task_class(), **task_kwargs))
        return made[0]

    return decorate


def _kamal_task_class() -> type:
    """An Invoke ``Task`` giving the global options Kamal's short flags, the same on every task."""
    from invoke import Task

    class KamalTask(Task):
        def arg_opts(self, name: str, default: Any, taken_names: set[str]) -> dict[str, Any]:
            if name in COMMON_OPTIONS or name in TASK_SHORT_FLAGS:
                opts = super().arg_opts(name, default, set(taken_names) | {*name})
                short = SHORT_FLAGS.get(name) or TASK_SHORT_FLAGS.get(name)
                opts["names"] = [opts["names"][0], *([short] if short else [])]
            else:
                reserved = set(taken_names) | set(SHORT_FLAGS.values()) | self._kamal_shorts()
                opts = super().arg_opts(name, default, reserved)
            if _annotation(self.body, name) in ("int", "int | None"):
                opts["kind"] = int  # also when the default is None (``--retain``, ``--lines``)
            return opts

        def _kamal_shorts(self) -> set[str]:
            """``-h``, and the Kamal short flags of this task's own options (so no other
            option of the task takes them first)."""
            names = inspect.signature(self.body).parameters
            return {"h", *(TASK_SHORT_FLAGS[name] for name in names if name in TASK_SHORT_FLAGS)}

        def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Any]:
            # Invoke's arg_opts pops each help text: keep them, so help shows every time.
            self.all_help: dict[str, str] = getattr(self, "all_help", None) or dict(self.help)
            self.help = dict(self.all_help)
            arguments = super().get_arguments(ignore_unknown_help)
            for argument in arguments:
                if argument.kind is int:
                    argument.__class__ = _count_argument_class()
            positional = [argument for argument in arguments if argument.positional]
            for index, argument in enumerate(positional):
                argument.__class__ = _positional_argument_class()
                argument.rest = positional[index + 1 :]  # type: ignore[attr-defined]
            return arguments

    return KamalTask


def _annotation(body: Callable[..., Any], name: str) -> Any:
    parameter = inspect.signature(body).parameters.get(name)
    return parameter.annotation if parameter is not None else None


@functools.cache
def _count_argument_class() -> type:
    """An Invoke ``Argument`` for a count flag (``--lines``, ``--retain``): a bad value is a
    parse error naming the flag (Invoke prints it and exits 1), not a ``ValueError``."""
    from invoke.exceptions import ParseError
    from invoke.parser import Argument

    class CountArgument(Argument):
        def set_value(self, value: Any, cast: bool = True) -> None:
            if cast and not (isinstance(value, str) and value.isascii() and value.isdigit()):
                flag = f"--{(self.names[0] or '').replace('_', '-')}"
                raise ParseError(f"ERROR: {flag}: should be a whole number, got {value!r}")
            if cast and int(value) < 1:
                flag = f"--{(self.names[0] or '').replace('_', '-')}"
                raise ParseError(f"ERROR: {flag}: should be at least 1, got {value!r}")
            super().set_value(value, cast)

    return CountArgument


@functools.cache
def _positional_argument_class() -> type:
    """A positional argument that, given a value starting with ``-`` (``--help``, a typo'd
    flag), marks the later positionals as given, so parsing completes and the task can print
    its help or refuse the value instead of Invoke erroring on missing arguments."""
    from invoke.parser import Argument

    class PositionalArgument(Argument):
        rest: list[Any]

        def set_value(self, value: Any, cast: bool = True) -> None:
            super().set_value(value, cast)
            if isinstance(value, str) and value.startswith("-"):
                for later in self.rest:
                    if later.value is None:
                        later.set_value(FLAG_LIKE, cast=False)

    return PositionalArgument


def _with_common_options(
    body: Callable[..., Any], positional: list[str], made: list[Any]
) -> Callable[..., Any]:
    command, subcommand = _command_names(body)
    own = list(inspect.signature(body).parameters.values())[1:]

    @functools.wraps(body)
    def wrapper(c: Any, *args: Any, **kwargs: Any) -> Any:
        from invoke.exceptions import Exit

        task_name = made[0].name if subcommand is None else f"{command}.{made[0].name}"
        if _help_or_refuse(made[0], task_name, positional, kwargs):
            return None
        flags = {name: kwargs.pop(name, None) for name in COMMON_OPTIONS}
        if _invoke_dry(c):
            flags["dry_run"] = True
        try:
            options = Options.resolve(flags, _settings(c))
        except KamalError as error:
            raise Exit(error_line(error), code=1) from None
        k = KamalContext(c, options, command=command, subcommand=subcommand)
        return run_body(k, body, *args, **kwargs)

    common = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, (default, _) in COMMON_OPTIONS.items()
        if name not in {param.name for param in own}
    ]
    context = inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    wrapper.__signature__ = inspect.Signature([context, *own, *common])  # type: ignore[attr-defined]
    return wrapper


def run_body(k: KamalContext, body: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a task body: our errors exit 1 with their message; SIGINT/SIGTERM stop it cleanly.

    A signal lets the commands in flight finish and the cleanup run (the lock released), then
    exits 130 (SIGINT) or 143 (SIGTERM) with one line saying so.
    """
    from invoke.exceptions import Exit

    with stop_on_signals(k.stop, k.output):
        try:
            result = body(k, *args, **kwargs)
        except KamalError as error:
            if not k.stop.requested:
                raise Exit(error_line(error), code=1) from None
            if not isinstance(error, Interrupted):
                k.output.error(f"ERROR: {error}")
        except OutputClosed:  # the reader went away (`| head`): stop quietly, as on SIGPIPE
            raise Exit(code=CLOSED_PIPE_EXIT) from None
        finally:
            k.close()
        if k.stop.requested:
            name = k.stop.signal_name or "SIGINT"
            raise Exit(interrupted_message(k), code=exit_code(name))
        return result


def interrupted_message(k: KamalContext) -> str:
    """The last line after a signal: what stopped, and what became of the deploy lock."""
    message = f"Interrupted ({k.stop.signal_name}): stopped after the current commands"
    if k.lock_state == "released":
        return f"{message}; deploy lock released"
    if k.lock_state == "held":
        return f"{message}; the deploy lock is still held (check, then `inv lock.release`)"
    return message


#: What the later positionals get when an earlier one took a flag-like value.
FLAG_LIKE = "\0flag-like"
HELP_FLAGS = ("--help", "-h")


def _help_or_refuse(task: Any, name: str, positional: list[str], kwargs: dict[str, Any]) -> bool:
    """Print the task's help when a positional got ``--help``/``-h`` (True); raise a clean
    error when one got another flag-like value; else False."""
    for argument in positional:
        value = kwargs.get(argument)
        if not isinstance(value, str) or not value.startswith("-") or value == FLAG_LIKE:
            continue
        if value in HELP_FLAGS:
            print_task_help(task, name)
            return True
        from invoke.exceptions import Exit

        raise Exit(error_line(FlagAsValue(name, argument, value)), code=1)
    return False


def error_line(error: object) -> str:
    """``ERROR: <message>`` for stderr, red on a terminal (see ``output.wants_color``)."""
    import sys

    from kamal_tasks.output import ERROR, wants_color

    text = f"ERROR: {error}"
    return f"\x1b[{ERROR}m{text}\x1b[0m" if wants_color(sys.stderr) else text


def print_task_help(task: Any, name: str) -> None:
    """Print ``task``'s help as ``inv --help NAME`` does."""
    import sys

    from invoke import Program
    from invoke.parser import ParserContext

    context = ParserContext(name=name, args=task.get_arguments())
    tuples = context.help_tuples()
    program = Program()
    program_path = Path(sys.argv[0] if sys.argv and sys.argv[0] else "inv")
    binary = program_path.name
    if binary == "__main__.py":
        binary = "kamal-tasks" if program_path.parent.name == "kamal_tasks" else "inv"
    print(f"Usage: {binary} [--core-opts] {name} {'[--options] ' if tuples else ''}"
          "[other tasks here ...]")  # fmt: skip
    print("\nDocstring:")
    for line in (inspect.getdoc(task) or "none").splitlines():
        print(program.leading_indent + line if line.strip() else "")
    print("\nOptions:")
    program.print_columns(tuples)


def _invoke_dry(c: Any) -> bool:
    """Whether Invoke's own ``--dry`` (``run.dry``) was given."""
    try:
        return bool(c.config.run.dry)
    except AttributeError:
        return False


def _command_names(body: Callable[..., Any]) -> tuple[str, str | None]:
    module = body.__module__.rsplit(".", 1)[-1]
    name = body.__name__.rstrip("_").replace("_", "-")
    if module in ("main", "__main__", "tasks"):
        return name, None
    return module, name


def _settings(c: Any) -> Any:
    try:
        return c.config.get("kamal")
    except AttributeError:
        return None
