"""Server bootstrap: Docker where missing, the run directory, the docker-setup hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands import server as server_commands

if TYPE_CHECKING:
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


def bootstrap(k: KamalContext) -> None:
    """Install Docker on hosts that lack it (root only) and create the run directory."""
    config = k.config
    hosts = config.hosts_with_accessories
    k.output.info(f"Ensuring Docker is installed on {len(hosts)} host(s)...")
    missing: list[str] = []

    def prepare(host: Host) -> None:
        if not host.run(server_commands.docker_installed(), warn=True).ok:
            if not host.run(server_commands.superuser(), warn=True).ok:
                missing.append(host.name)
                return
            k.output.host(host.name, "Docker is missing: installing it")
            host.run(server_commands.install_docker())
        host.run(server_commands.make_run_directory(config))

    k.runner.on(hosts, prepare)
    if missing:
        from kamal_tasks.errors import KamalError

        raise KamalError(
            "Docker is not installed on "
            + ", ".join(missing)
            + " and can't be installed automatically without root access"
        )
    k.hook("docker-setup")
