"""Server bootstrap commands."""

from __future__ import annotations

from kamal_tasks.commands.base import Raw, any_of, docker, make_directory
from kamal_tasks.configuration import Config


def docker_installed() -> str:
    """Succeeds when a docker client is on the PATH."""
    return docker("-v")


def superuser() -> str:
    """Succeeds when we are root or may sudo without a password."""
    return Raw('[ "${EUID:-$(id -u)}" -eq 0 ] || sudo -nl usermod >/dev/null')


def install_docker() -> str:
    """Install Docker from the distribution's packages, else Docker's script."""
    return any_of(
        Raw("(apt-get update -y && apt-get install docker.io -y)"),
        Raw("(curl -fsSL https://get.docker.com | sh)"),
    )


def make_run_directory(config: Config) -> str:
    """``mkdir -p .kamal``."""
    return make_directory(config.run_directory)
