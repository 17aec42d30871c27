"""Server bootstrap commands."""

from __future__ import annotations

from kamal_tasks.commands import cord
from kamal_tasks.commands.base import Raw, any_of, docker, join, make_directory, word
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


def remove_service_files(config: Config) -> str:
    """``rm -rf`` of the service's own files in the run directory: its audit log, and each
    role's cord directories (``cord.host_directories``: only ids) and asset copies (each a
    quoted prefix and a marked ``*`` glob)."""
    paths = [config.audit_log]
    for role in config.roles:
        paths.append(cord.host_directories(config, role))
        for kind in ("assets/extracted", "assets/volumes"):
            paths.append(word(config.run_path(f"{kind}/{role.container_prefix}-"), Raw("*")))
    return join("rm", "-rf", paths)


def remove_empty_run_directories(config: Config) -> str:
    """Remove the run directory's empty directories (the run directory too, once empty)."""
    return join("find", config.run_directory, "-depth", "-type", "d", "-empty", "-delete")
