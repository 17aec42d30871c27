"""The Invoke side of a task: the ``kamal_task`` decorator, the global options it adds, help
and refusal of flag-like values, and ``run_body``, which runs a body with signals handled and
errors reported in one line."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kamal_tasks import errors
from kamal_tasks.context import KamalContext
from kamal_tasks.errors import KamalError
from kamal_tasks.options import COMMON_OPTIONS, SHORT_FLAGS, TASK_SHORT_FLAGS, Options
from kamal_tasks.output import CLOSED_PIPE_EXIT, OutputClosed
from kamal_tasks.signals import exit_code, stop_on_signals


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


@functools.cache
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
            if not isinstance(error, errors.Interrupted):
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
    """Print the task's help when a positional got ``--help``/``-h`` or an option the value
    ``--help`` (``lock.acquire -m --help``: never act) (True); raise a clean error when a
    positional got another flag-like value; else False."""
    if any(value == "--help" for value in kwargs.values()):
        print_task_help(task, name)
        return True
    for argument in positional:
        value = kwargs.get(argument)
        if not isinstance(value, str) or not value.startswith("-") or value == FLAG_LIKE:
            continue
        if value in HELP_FLAGS:
            print_task_help(task, name)
            return True
        from invoke.exceptions import Exit

        raise Exit(error_line(errors.FlagAsValue(name, argument, value)), code=1)
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
