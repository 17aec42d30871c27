"""Property: no config value or flag ever runs as shell.

For each field that reaches a command, every command is planned twice: once with a plain
placeholder in the field, once with a hostile string (``;``, ``$()``, backticks, quotes,
spaces, ``*``, newlines, unicode...). Both plans run through a real ``sh -c`` in a scratch
directory whose ``PATH`` holds only stub executables (``docker``, ``mkdir``, ``rm``...; ``echo``,
``printf`` and ``test`` are routed to stubs too) that record their argv. The hostile run must
make exactly the placeholder run's calls with the placeholder replaced by the hostile string:
the value arrives whole, as the same words, and nothing else runs (a ``touch`` canary in the
strings would show up as an extra call, an unknown program as "not found").

Fields whose grammar is narrow (service, role and accessory names, destination, version) are
validated instead: a hostile string is refused with an error naming the key or flag, and an
accepted one is checked like the others.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamal_tasks.commands import (
    accessory,
    app,
    app_exec,
    assets,
    auditor,
    builder,
    cord,
    env_files,
    lock,
    prune,
    registry,
    traefik,
)
from kamal_tasks.commands.base import command_words
from kamal_tasks.configuration import Config
from kamal_tasks.configuration.validation import check_destination, validate
from kamal_tasks.configuration.validators import NAME_PATTERN, SERVICE_PATTERN
from kamal_tasks.configuration.version import TAG_PATTERN, checked_version
from kamal_tasks.context import KamalContext
from kamal_tasks.dry_run import DryRunner
from kamal_tasks.errors import ConfigurationError, KamalError
from kamal_tasks.flows import deploy as deploy_flows
from kamal_tasks.flows.build import native_builder
from kamal_tasks.flows.dry_run import assume_success
from kamal_tasks.hooks import shell_path
from kamal_tasks.options import Options
from kamal_tasks.output import Output

PLACEHOLDER = "zq9placezq"
EXAMPLES = 50
STUBS = (
    "docker", "mkdir", "rm", "cp", "mv", "chmod", "touch", "find", "tail", "cat", "stat", "grep",
    "xargs", "tr", "base64", "curl", "sleep", "id", "sudo", "apt-get", "echo", "printf", "test",
    "date",
)  # fmt: skip
# A stub call's record, written with one ``printf`` (so a pipeline's concurrent programs
# don't interleave): ``N INDEX NAME`` then ``LENGTH:BYTES`` per argument (LC_ALL=C: bytes).
RECORD = """__record() {
  __r="$(($# - 1)) ${STUB_INDEX:-0} $1
"; shift
  for __a in "$@"; do __r="$__r${#__a}:$__a
"; done
  printf '%s' "$__r" >> "$STUB_LOG"
}
"""
# mkdir also creates plain relative directories, so that later redirections (the audit log,
# the lock details) land in the scratch directory the same way in both runs.
MAKE_DIRECTORIES = """for __a in "$@"; do
  case "$__a" in -*|/*|..|../*|*/..|*/../*) ;; *) /bin/mkdir -p -- "$__a" 2>/dev/null ;; esac
done
"""

# --- hostile strings ------------------------------------------------------------------------
NASTY_PIECES = st.sampled_from(
    [
        ";", "$(touch pwned)", "`touch pwned`", "; touch pwned", "&& touch pwned", "| touch pwned",
        "'", '"', " ", "  ", "*", "?", "[a]", "\n", "\t", "\r", "\\", "&", "|", ">", "<", "2>&1",
        "$HOME", "${IFS}", "$1", "$", "#", "~", "!", "(", ")", "{", "}", "=", ":", ",", "-",
        "--", "é", "日本", "🚀", "\u2028", "\x7f", "\x1b[0m", "%s", "{{.ID}}",
    ]
)  # fmt: skip
ANY_CHARACTER = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
HOSTILE = (
    st.lists(st.one_of(NASTY_PIECES, st.text(ANY_CHARACTER, max_size=4)), min_size=1, max_size=7)
    .map("".join)
    .filter(lambda value: bool(value) and PLACEHOLDER not in value)
)


def without(*characters: str) -> st.SearchStrategy[str]:
    """Hostile strings lacking ``characters`` (where the field's own syntax uses them)."""
    return HOSTILE.map(lambda value: "".join(c for c in value if c not in characters)).filter(bool)


def narrow_or_hostile(pattern: str) -> st.SearchStrategy[str]:
    """Half valid names (to check they work), half hostile strings (to check they're refused)."""
    valid = st.from_regex(pattern.removeprefix("^").removesuffix("$"), fullmatch=True)
    return st.one_of(valid, HOSTILE)


# --- the configuration and the plan ---------------------------------------------------------
BASE: dict[str, Any] = {
    "service": "app",
    "image": "dhh/app",
    "servers": {
        "web": {
            "hosts": ["1.1.1.1"],
            "cmd": "bin/web --port 3000",
            "options": {"memory": "1g"},
            "labels": {"tier": "front"},
            "env": {"clear": {"WEB": "1"}},
        },
        "workers": {"hosts": ["1.1.1.2"], "cmd": "bin/jobs"},
    },
    "registry": {"server": "registry.example.com", "username": "user", "password": "pw"},
    "env": {"clear": {"RAILS_ENV": "production"}, "secret": ["DB_PASSWORD"]},
    "labels": {"team": "core"},
    "volumes": ["/srv/data:/data"],
    "asset_path": "/rails/public",
    "healthcheck": {"path": "/up", "cord": "/tmp/kamal-cord", "interval": "1s"},
    "logging": {"driver": "json-file", "options": {"max-size": "10m"}},
    "stop_wait_time": 10,
    "builder": {
        "local": {"arch": "amd64", "host": "unix:///var/run/docker.sock"},
        "remote": {"arch": "arm64", "host": "ssh://root@1.1.1.9"},
        "cache": {"type": "registry", "options": "mode=max", "image": "app-cache"},
        "context": ".",
        "dockerfile": "Dockerfile",
        "target": "prod",
        "args": {"RUBY": "3.3"},
        "secrets": ["GITHUB_TOKEN"],
        "ssh": "default",
    },
    "traefik": {
        "image": "traefik:v2.11",
        "args": {"accesslog": True},
        "options": {"cpus": "1"},
        "labels": {"tl": "x"},
        "env": {"clear": {"TE": "1"}},
    },
    "accessories": {
        "db": {
            "image": "mysql:8",
            "host": "1.1.1.3",
            "port": "3306",
            "cmd": "mysqld --x",
            "files": ["config/my.cnf:/etc/mysql/my.cnf"],
            "directories": ["data:/var/lib/mysql"],
            "volumes": ["/srv/backup:/backup"],
            "options": {"memory": "2g"},
            "labels": {"al": "x"},
            "env": {"clear": {"AE": "1"}},
        }
    },
}
SECRETS = {"DB_PASSWORD": "s3cret"}


@dataclass
class Inputs:
    """What comes from flags and the environment rather than the configuration."""

    version: str = "999"
    destination: str | None = None
    command: str = "bin/rails db:migrate"
    grep: str = "ERROR"
    grep_options: str = "-i"
    since: str = "5m"
    message: str = "Deploying"
    performer: str = "alice@example.com"
    raw: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(BASE))


def direct_commands(config: Config, inputs: Inputs) -> list[str]:
    """Every builder, called directly (what the flows don't reach in a setup)."""
    web, workers = config.all_roles
    db = config.accessory(next(iter(config.accessories)))
    at = datetime(2024, 1, 1, tzinfo=UTC)
    details = lock.details(config, message=inputs.message, performer=inputs.performer, at=at)
    commands = [
        app.run(config, web, "1.1.1.1", cord_id="abc123"),
        app.run(config, workers, "1.1.1.2"),
        app_exec.logs(config, web, since=inputs.since, lines=10, grep=inputs.grep,
                 grep_options=inputs.grep_options),
        app_exec.logs(config, web, version=config.version, follow=True),
        app_exec.execute_in_new_container(config, web, "1.1.1.1", inputs.command,
                                     env={"EXTRA": inputs.message}),
        app_exec.execute_in_existing_container(config, web, inputs.command, interactive=True),
        app.list_versions(config, web, ("exited",)),
        app.rename(config, web, version=config.version, new_version="999_replaced_x"),
        app.stop(config, web, config.version), app.stop(config, web),
        app.status(config, web), app.start(config, web), app.info(config, web),
        app.containers(config), app.images(config), app.remove_container(config, web),
        app.remove_containers(config, web), app.remove_images(config),
        app.current_running_version(config, web),
        assets.extract(config, web), assets.sync_volumes(config, web, old_version="998"),
        assets.clean_up(config, web),
        auditor.record(config, inputs.message, performer=inputs.performer, at=at, role="web"),
        auditor.reveal(config),
        cord.directory_of(web, web.container_name("998")),
        cord.cut(cord.host_directory(config, web, "old")),
        lock.acquire(config, details), lock.release(config), lock.status(config),
        prune.dangling_images(config), prune.tagged_images(config),
        prune.stopped_containers(config, retain=3),
        registry.login(config), registry.logout(config),
        traefik.run(config), traefik.start_or_run(config),
        traefik.logs(since=inputs.since, grep=inputs.grep),
        accessory.run(config, db), accessory.start(db), accessory.stop(db),
        accessory.info(db), accessory.logs(db, since=inputs.since, grep=inputs.grep),
        accessory.execute_in_existing_container(db, inputs.command),
        accessory.execute_in_new_container(config, db, inputs.command),
        accessory.make_directories(db), accessory.remove_service_directory(db),
        accessory.remove_container(db), accessory.remove_image(db),
        *(accessory.make_file_directory(remote) for remote in accessory.files(db).values()),
        *(accessory.chmod_file(remote) for remote in accessory.files(db).values()),
        env_files.write(env_files.role_env_file(config, web)),
        env_files.exists(env_files.accessory_env_file(config, db)),
        env_files.remove(env_files.traefik_env_file(config)),
    ]  # fmt: skip
    for variant in builder_variants(config):
        commands += [
            builder.push(variant), builder.create(variant), builder.remove(variant),
            builder.info(variant), builder.pull(variant), builder.validate_image(variant),
        ]  # fmt: skip
    return commands


def builder_variants(config: Config) -> list[Config]:
    """The configured builder (multiarch with a remote), native, and native remote."""
    raw = copy.deepcopy(config.raw)
    raw["builder"].pop("local", None)
    raw["builder"]["multiarch"] = False
    remote = Config(raw, config.version, config.destination)
    return [config, native_builder(config), remote]


def flow_commands(config: Config, root: Path) -> list[str]:
    """``setup`` (bootstrap, env push, accessories, deploy) on the recording dry runner."""
    runner = DryRunner(Output(stream=io.StringIO(), errors=io.StringIO()),
                       responder=assume_success, echo=False)  # fmt: skip
    k = KamalContext(None, Options(skip_hooks=True), runner=runner, root=root)
    k._config, k.env_values = config, SECRETS
    k.sleep, k.new_id = (lambda seconds: None), (lambda: "abc123")
    k.clock = lambda: datetime(2024, 1, 1, tzinfo=UTC)
    k.__dict__["performer"] = "alice@example.com"
    deploy_flows.setup(k)
    return [command for _, command in runner.commands if not command.startswith("upload ")]


def plan(inputs: Inputs, root: Path) -> list[str]:
    """Every command the builders and a ``setup`` produce for these inputs."""
    config = Config(inputs.raw, inputs.version, inputs.destination, SECRETS)
    return flow_commands(config, root) + direct_commands(config, inputs)


# --- running commands through sh with recording stubs ---------------------------------------
#: (index of the command in the script, program, arguments...)
Call = tuple[str, ...]


def stub(name: str) -> str:
    """The recording stub for ``name``, as the body of a shell function or script."""
    return f'__record {name} "$@"\n' + (MAKE_DIRECTORIES if name == "mkdir" else "")


#: Every stub as a shell function: they shadow PATH and the ``echo``/``printf``/``test``
#: builtins, and cost no fork (about 4 times faster than executables, which the file's time
#: budget needs). ``printf`` is the builtin inside ``__record`` (``command printf``).
FUNCTIONS = RECORD.replace("printf '%s'", "command printf '%s'") + "".join(
    f"{name}() {{\n{stub(name)}}}\n" for name in STUBS if name.isalpha()
)  # (apt-get can't name a function: its executable stub records it)


@dataclass
class Shell:
    """A scratch directory, a ``PATH`` holding only recording stub executables, and the same
    stubs as shell functions in front of every script."""

    stubs: Path
    work: Path
    log: Path

    def run(self, commands: list[str]) -> tuple[list[Call], str]:
        """Run ``commands`` (one ``sh -c`` script, a line each) from an empty work directory;
        the stub calls made (sorted) and stderr."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        self.log.write_bytes(b"")
        script = "".join(
            f"export STUB_INDEX={i}\n{command}\n" for i, command in enumerate(commands)
        )
        done = subprocess.run(
            ["/bin/sh", "-c", FUNCTIONS + script],
            cwd=self.work,
            env={
                "PATH": str(self.stubs),
                "STUB_LOG": str(self.log),
                "LC_ALL": "C",
                "HOME": str(self.work),
            },  # fmt: skip
            capture_output=True,
            timeout=30,
        )
        assert not (self.work / "pwned").exists()
        return sorted(parse_calls(self.log.read_bytes())), done.stderr.decode(errors="replace")


def parse_calls(data: bytes) -> list[Call]:
    """The stubs' records: ``N INDEX NAME`` then ``LENGTH:BYTES`` per argument."""
    calls, position = [], 0
    while position < len(data):
        end = data.index(b"\n", position)
        count, index, name = data[position:end].split(b" ", 2)
        position, args = end + 1, [index.decode(), name.decode()]
        for _ in range(int(count)):
            colon = data.index(b":", position)
            length = int(data[position:colon])
            args.append(data[colon + 1 : colon + 1 + length].decode())
            position = colon + 1 + length + 1
        calls.append(tuple(args))
    return calls


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Shell:
    base = tmp_path_factory.mktemp("quoting")
    stubs = base / "bin"
    stubs.mkdir()
    for name in STUBS:
        (stubs / name).write_text(f"#!/bin/sh\n{RECORD}{stub(name)}")
        (stubs / name).chmod(0o755)
    root = base / "project"
    (root / "config").mkdir(parents=True)
    (root / "config/my.cnf").write_text("[mysqld]\n")
    return Shell(stubs, base / "work", base / "calls")


# --- the fields -----------------------------------------------------------------------------
Setter = Callable[[Inputs, str], None]


@dataclass
class Field:
    """A config key or flag: how to set it, which strings to try, what must reach the shell."""

    name: str
    set: Setter
    strategy: st.SearchStrategy[str] = HOSTILE
    #: a command line: the placeholder word becomes the line's words
    command_line: bool = False
    #: the value sits in a shell command Docker runs (``--health-cmd``): run that one too
    nested_health_command: bool = False
    #: the value sits in a Go template string literal (cord path)
    go_string: bool = False
    #: None, or (pattern, where): only values matching it are accepted
    narrow: tuple[str, str] | None = None


def raw_key(*path: str, prefix: str = "", suffix: str = "") -> Setter:
    """Set ``raw[path...]`` to the value (with a fixed prefix/suffix)."""

    def set_value(inputs: Inputs, value: str) -> None:
        section = inputs.raw
        for key in path[:-1]:
            section = section.setdefault(key, {})
        section[path[-1]] = f"{prefix}{value}{suffix}"

    return set_value


def raw_item(*path: str, template: str = "{}") -> Setter:
    """Set ``raw[path...]`` to a one-item list."""

    def set_value(inputs: Inputs, value: str) -> None:
        section = inputs.raw
        for key in path[:-1]:
            section = section[key]
        section[path[-1]] = [template.format(value)]

    return set_value


def raw_mapping_key(*path: str, entry: Any = "1") -> Setter:
    """Add ``k<value>: entry`` to the mapping at ``raw[path...]``."""

    def set_value(inputs: Inputs, value: str) -> None:
        section = inputs.raw
        for key in path:
            section = section.setdefault(key, {})
        section[f"k{value}"] = entry

    return set_value


def input_value(name: str) -> Setter:
    def set_value(inputs: Inputs, value: str) -> None:
        setattr(inputs, name, value)

    return set_value


def rename(*path: str) -> Setter:
    """Rename the last key of ``path`` (a role or an accessory) to the value."""

    def set_value(inputs: Inputs, value: str) -> None:
        section = inputs.raw
        for key in path[:-1]:
            section = section[key]
        section[value] = section.pop(path[-1])

    return set_value


WEB = ("servers", "web")
DB = ("accessories", "db")
TRAEFIK = ("traefik",)
BUILDER = ("builder",)
FIELDS = [
    Field("image", raw_key("image")),
    Field("registry.server", raw_key("registry", "server")),
    Field("registry.username", raw_key("registry", "username")),
    Field("run_directory", raw_key("run_directory", prefix="r"),
          without("/").filter(lambda v: ".." not in v)),
    Field("volumes", raw_item("volumes")),
    Field("asset_path", raw_key("asset_path")),
    Field("role asset_path", raw_key(*WEB, "asset_path")),
    Field("healthcheck.cord", raw_key("healthcheck", "cord", prefix="/"), go_string=True,
          nested_health_command=True),
    Field("healthcheck.path", raw_key("healthcheck", "path", prefix="/"),
          nested_health_command=True),
    Field("healthcheck.cmd", raw_key(*WEB, "healthcheck", "cmd")),
    Field("healthcheck.interval", raw_key("healthcheck", "interval")),
    Field("role cmd", raw_key(*WEB, "cmd"), command_line=True),
    Field("role options key", raw_mapping_key(*WEB, "options")),
    Field("role options value", raw_key(*WEB, "options", "memory")),
    Field("role labels key", raw_mapping_key(*WEB, "labels")),
    Field("role options list value", raw_item(*WEB, "options", "add-host")),
    Field("role labels value", raw_key(*WEB, "labels", "tier")),
    Field("role env key", raw_mapping_key(*WEB, "env", "clear")),
    Field("env value", raw_key("env", "clear", "RAILS_ENV")),
    Field("labels key", raw_mapping_key("labels")),
    Field("labels value", raw_key("labels", "team")),
    Field("logging.driver", raw_key("logging", "driver")),
    Field("logging options key", raw_mapping_key("logging", "options")),
    Field("logging options value", raw_key("logging", "options", "max-size")),
    Field("builder.context", raw_key(*BUILDER, "context")),
    Field("builder.dockerfile", raw_key(*BUILDER, "dockerfile")),
    Field("builder.target", raw_key(*BUILDER, "target")),
    Field("builder.ssh", raw_key(*BUILDER, "ssh"),
          HOSTILE.filter(lambda v: not re.search(r"\$[{A-Za-z_]", v))),
    Field("builder.args key", raw_mapping_key(*BUILDER, "args")),
    Field("builder.args value", raw_key(*BUILDER, "args", "RUBY")),
    Field("builder.secrets", raw_item(*BUILDER, "secrets")),
    Field("builder.cache options", raw_key(*BUILDER, "cache", "options")),
    Field("builder.cache image", raw_key(*BUILDER, "cache", "image")),
    Field("builder.remote arch", raw_key(*BUILDER, "remote", "arch")),
    Field("builder.remote host", raw_key(*BUILDER, "remote", "host")),
    Field("builder.local host", raw_key(*BUILDER, "local", "host")),
    Field("traefik.image", raw_key(*TRAEFIK, "image")),
    Field("traefik.args key", raw_mapping_key(*TRAEFIK, "args", entry="v")),
    Field("traefik.args value", raw_key(*TRAEFIK, "args", "accesslog")),
    Field("traefik.options key", raw_mapping_key(*TRAEFIK, "options", entry=None)),
    Field("traefik.labels key", raw_mapping_key(*TRAEFIK, "labels")),
    Field("traefik.env key", raw_mapping_key(*TRAEFIK, "env", "clear")),
    Field("accessory image", raw_key(*DB, "image")),
    Field("accessory cmd", raw_key(*DB, "cmd"), command_line=True),
    Field("accessory port", raw_key(*DB, "port"), without(":")),
    Field("accessory files", raw_item(*DB, "files", template="config/my.cnf:/etc/{}"),
          without("/")),
    Field("accessory directories host", raw_item(*DB, "directories", template="d{}:/data"),
          without(":")),
    Field("accessory directories target", raw_item(*DB, "directories", template="/srv/d:{}")),
    Field("accessory volumes", raw_item(*DB, "volumes")),
    Field("accessory options key", raw_mapping_key(*DB, "options", entry=True)),
    Field("accessory labels key", raw_mapping_key(*DB, "labels")),
    Field("accessory env key", raw_mapping_key(*DB, "env", "clear")),
    Field("accessory env value", raw_key(*DB, "env", "clear", "AE")),
    # flags and other inputs
    Field("exec COMMAND", input_value("command"), command_line=True),
    Field("logs --grep", input_value("grep")),
    Field("logs grep options", input_value("grep_options"), command_line=True),
    Field("logs --since", input_value("since")),
    Field("lock/audit message", input_value("message")),
    Field("performer (git user.email)", input_value("performer")),
    # narrow grammars: validated
    Field("service", raw_key("service"), narrow_or_hostile(SERVICE_PATTERN),
          narrow=(SERVICE_PATTERN, "service")),
    Field("role name", rename("servers", "workers"),
          narrow_or_hostile(NAME_PATTERN).filter(lambda v: v != "web"),
          narrow=(NAME_PATTERN, "servers/")),
    Field("accessory name", rename("accessories", "db"), narrow_or_hostile(NAME_PATTERN),
          narrow=(NAME_PATTERN, "accessories/")),
    Field("accessory service", raw_key(*DB, "service"), narrow_or_hostile(NAME_PATTERN),
          narrow=(NAME_PATTERN, "accessories/db/service")),
    Field("--destination", input_value("destination"), narrow_or_hostile(NAME_PATTERN),
          narrow=(NAME_PATTERN, "--destination")),
    Field("--version", input_value("version"), narrow_or_hostile(TAG_PATTERN),
          narrow=(TAG_PATTERN, "--version")),
]  # fmt: skip


# --- the property ---------------------------------------------------------------------------
def refused(field_: Field, inputs: Inputs) -> str | None:
    """The validation error for these inputs, if any (narrow fields and command lines)."""
    try:
        if field_.name == "--destination":
            check_destination(inputs.destination)
        elif field_.name == "--version":
            checked_version(inputs.version, "--version")
        errors = validate(inputs.raw)
        if errors:
            raise ConfigurationError(errors)
        command_words(inputs.command)
        command_words(inputs.grep_options)
    except KamalError as error:
        return str(error)
    return None


def expected_argument(field_: Field, argument: str, value: str) -> list[str]:
    """What a placeholder run's argument must become with ``value`` in the field."""
    if field_.command_line and argument == PLACEHOLDER:
        return shlex.split(value)
    if field_.go_string:
        argument = argument.replace(
            f'"/{PLACEHOLDER}"', json.dumps(f"/{value}", ensure_ascii=False)
        )
    return [argument.replace(PLACEHOLDER, value)]


HEALTH = "<health command>"


def set_health_commands_aside(call: Call, found: list[tuple[str, str]]) -> Call:
    """``call`` with each ``--health-cmd`` argument replaced by a marker, noted in ``found``."""
    arguments = list(call)
    for i in range(3, len(arguments)):
        if arguments[i - 1] == "--health-cmd":
            found.append((arguments[0], arguments[i]))
            arguments[i] = HEALTH
    return tuple(arguments)


def expected_call(field_: Field, call: Call, value: str) -> Call:
    """What a placeholder run's call must become with ``value`` in the field."""
    arguments = list(call[:2])
    for argument in call[2:]:
        arguments += (
            [argument] if argument == HEALTH else expected_argument(field_, argument, value)
        )
    if arguments[1] == "echo" and any("\\" in argument for argument in arguments[2:]):
        arguments[1:2] = ["printf", "%s\\n"]  # the auditor's echo can't write a backslash
    return tuple(arguments)


def assert_same_calls(
    shell: Shell, field_: Field, placeholder: list[Call], hostile: list[Call], value: str
) -> None:
    """``hostile`` makes ``placeholder``'s calls with the value in place of the placeholder,
    word for word. Calls are compared as a multiset per command (a pipeline's programs run
    concurrently). A health command holding the value runs through sh as well."""
    placeholder_health: list[tuple[str, str]] = []
    hostile_health: list[tuple[str, str]] = []
    if field_.nested_health_command:
        placeholder = [set_health_commands_aside(c, placeholder_health) for c in placeholder]
        hostile = [set_health_commands_aside(c, hostile_health) for c in hostile]
    expected = sorted(expected_call(field_, call, value) for call in placeholder)
    assert sorted(hostile) == expected
    assert len(placeholder_health) == len(hostile_health)
    inner = Field(field_.name, field_.set)
    for (_, inner_placeholder), (_, inner_hostile) in zip(
        sorted(placeholder_health), sorted(hostile_health), strict=True
    ):
        placeholder_calls, _ = shell.run([inner_placeholder])
        hostile_calls, _ = shell.run([inner_hostile])
        assert_same_calls(shell, inner, placeholder_calls, hostile_calls, value)


_placeholder_runs: dict[str, tuple[list[int], list[Call], str, list[str]]] = {}


def placeholder_run(shell: Shell, field_: Field, root: Path) -> tuple[list[int], list[Call]]:
    """The commands holding the placeholder (their indexes in the plan) and their calls."""
    if field_.name not in _placeholder_runs:
        inputs = Inputs()
        field_.set(inputs, PLACEHOLDER)
        assert refused(field_, inputs) is None
        commands = plan(inputs, root)
        wanted = [i for i, command in enumerate(commands) if PLACEHOLDER in command]
        wanted = list({commands[i]: i for i in reversed(wanted)}.values())[::-1]  # dedupe
        assert wanted, f"{field_.name} reaches no command"
        calls, stderr = shell.run([commands[i] for i in wanted])
        assert "not found" not in stderr, stderr
        assert any(PLACEHOLDER in argument for call in calls for argument in call)
        _placeholder_runs[field_.name] = (wanted, calls, stderr, commands)
    wanted, calls, _, _ = _placeholder_runs[field_.name]
    return wanted, calls


@pytest.mark.parametrize("field_", FIELDS, ids=[f.name for f in FIELDS])
def test_no_value_runs_as_shell(shell: Shell, field_: Field) -> None:
    root = shell.stubs.parent / "project"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
            HealthCheck.too_slow,
        ],
    )
    @given(value=field_.strategy)
    def check(value: str) -> None:
        wanted, expected_calls = placeholder_run(shell, field_, root)
        inputs = Inputs()
        field_.set(inputs, value)
        error = refused(field_, inputs)
        if field_.narrow is not None:
            pattern, where = field_.narrow
            accepted = re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value)
            if not accepted:
                assert error is not None and where in error
                return
            # an accepted name is a safe word: it stands in any command exactly where the
            # placeholder (run through sh above) did
            assert error is None, error
            commands = plan(inputs, root)
            placeholder_commands = _placeholder_runs[field_.name][3]
            assert [commands[i] for i in wanted] == [
                placeholder_commands[i].replace(PLACEHOLDER, value) for i in wanted
            ]
            return
        if error is not None:
            assert field_.command_line, error  # only a command line may be refused
            with pytest.raises(ValueError):
                shlex.split(value)
            return
        commands = plan(inputs, root)
        hostile_calls, stderr = shell.run([commands[i] for i in wanted])
        assert "not found" not in stderr, stderr
        assert_same_calls(shell, field_, expected_calls, hostile_calls, value)

    check()


def test_every_stub_records_argv_exactly(shell: Shell) -> None:
    words = ["a b", "", "'", '"', "$(touch pwned)", "\n", "é", "*"]
    line = " ".join(shlex.quote(w) for w in words)
    calls, _ = shell.run([f"docker {line}", f"command docker {line} | xargs x"])
    assert calls == [("0", "docker", *words), ("1", "docker", *words), ("1", "xargs", "x")]


def test_a_breakout_is_caught(shell: Shell) -> None:
    """The oracle sees an injection: the same command, unquoted, makes an extra call."""
    calls, _ = shell.run(["docker run v1$(touch pwned)"])
    assert calls == [("0", "docker", "run", "v1"), ("0", "touch", "pwned")]


@settings(max_examples=EXAMPLES, deadline=None)
@given(value=without("/").filter(lambda v: v not in (".", "..")))
def test_hook_paths_are_one_word(value: str) -> None:
    """The hook's path (under ``hooks_path``) reaches the local shell as one word."""
    path = Path(os.getcwd()) / ".kamal" / value / "pre-deploy"
    script = "printf '%s\\n' " + shell_path(path)
    out = subprocess.run(["/bin/sh", "-c", script], capture_output=True, check=True).stdout
    assert out.decode() == f".kamal/{value}/pre-deploy\n"
