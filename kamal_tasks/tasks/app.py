"""``app.*``: the app's containers on their hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kamal_tasks.context import KamalContext
from kamal_tasks.flows.answers import show
from kamal_tasks.task import kamal_task
from kamal_tasks.tasks.main import EXEC_HELP, LOGS_HELP

if TYPE_CHECKING:
    from kamal_tasks.configuration import Role


@kamal_task
def boot(k: KamalContext) -> None:
    """Boot the app (the configured version) on the servers, inside the deploy lock."""
    from kamal_tasks.flows import boot as boot_flow
    from kamal_tasks.flows import lock

    with lock.held(k, f"Booting {k.config.version}"):
        boot_flow.boot(k, k.config.version)


@kamal_task
def start(k: KamalContext) -> None:
    """Start the existing app containers of the version."""
    from kamal_tasks.flows import app

    app.start(k)


@kamal_task
def stop(k: KamalContext) -> None:
    """Stop the running app containers."""
    from kamal_tasks.flows import app

    app.stop(k)


@kamal_task
def details(k: KamalContext) -> None:
    """Show the app's containers on each host."""
    from kamal_tasks.commands import app

    for role in k.config.roles:
        show(k, k.config.role_hosts(role), app.info(k.config, role), f"App {role.name}")


@kamal_task
def containers(k: KamalContext) -> None:
    """Show all app containers (running and stopped) on each host."""
    from kamal_tasks.commands import app

    show(k, k.config.hosts, app.containers(k.config), "App containers")


@kamal_task
def images(k: KamalContext) -> None:
    """Show the app images on each host."""
    from kamal_tasks.commands import app

    show(k, k.config.hosts, app.images(k.config), "App images")


@kamal_task(help={"stop": "Stop the stale containers"})
def stale_containers(k: KamalContext, stop: bool = False) -> None:
    """Show (or stop) running containers that are not the newest of their role."""
    from kamal_tasks.flows import app

    if stop:
        app.stop_stale_containers(k)
        return
    app.show_stale_containers(k)


@kamal_task(
    name="exec",
    positional=["command"],
    help={
        **EXEC_HELP,
        "reuse": "Run in the running container (of the version running on the host)",
        "env": "Extra env for the command, KEY=VALUE (repeatable)",
    },
    iterable=["env"],
)
def exec_(
    k: KamalContext,
    command: str,
    interactive: bool = False,
    reuse: bool = False,
    env: list[str] | None = None,
) -> None:
    """Run a command in a new (or, with --reuse, the running) app container on each host."""
    from kamal_tasks.commands import app_exec
    from kamal_tasks.flows import sessions

    config = k.config
    extra = sessions.env_pairs(env)

    def line(role: Role, host: str) -> str:
        if reuse:
            version = sessions.running_version(k, role, host)
            return app_exec.execute_in_existing_container(
                config, role, command, version=version, interactive=interactive, env=extra
            )
        return app_exec.execute_in_new_container(
            config, role, host, command, interactive=interactive, env=extra
        )

    if interactive:
        host = sessions.one_host(k, "app.exec --interactive", config.hosts)
        sessions.exit_with(sessions.attach(k, host, line(config.roles_on(host)[0], host), tty=True))
        return
    for role in config.roles:
        for host in config.role_hosts(role):
            show(k, [host], line(role, host), f"{role.name} `{command}`")


@kamal_task(help=LOGS_HELP)
def logs(
    k: KamalContext,
    since: str | None = None,
    lines: int | None = None,
    grep: str | None = None,
    grep_options: str | None = None,
    follow: bool = False,
) -> None:
    """Show the app containers' logs from each host (or follow one host's)."""
    from kamal_tasks.commands import app_exec
    from kamal_tasks.flows import sessions

    config = k.config

    def followed(host: str, options: dict[str, Any]) -> str:
        return app_exec.logs(config, config.roles_on(host)[0], follow=True, **options)

    def each(options: dict[str, Any]) -> None:
        for role in config.roles:
            show(
                k,
                config.role_hosts(role),
                app_exec.logs(config, role, **options),
                f"Logs of {role.name}",
            )

    flags = (since, lines, grep, grep_options, follow)
    sessions.logs(k, "app.logs", flags, hosts=lambda: config.hosts, followed=followed, each=each)


@kamal_task
def remove(k: KamalContext) -> None:
    """Remove the app's containers and images from the servers, inside the deploy lock."""
    from kamal_tasks.flows import app, lock

    with lock.held(k, "Removing the app"):
        app.remove(k)


@kamal_task
def version(k: KamalContext) -> None:
    """Show the running app version on each host."""
    from kamal_tasks.commands import app

    for role in k.config.roles:
        show(k, k.config.role_hosts(role), app.current_running_version(k.config, role), role.name)
