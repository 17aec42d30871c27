"""Accessories: boot (directories, files, container), start/stop, and removal."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kamal_tasks.commands import accessory as accessory_commands
from kamal_tasks.errors import AccessoryFileUnreadable
from kamal_tasks.flows.build import registry_login

if TYPE_CHECKING:
    from kamal_tasks.configuration import Accessory
    from kamal_tasks.context import KamalContext
    from kamal_tasks.runner import Host


def selected(k: KamalContext, name: str) -> list[Accessory]:
    """``all`` or one accessory by name (``UnknownAccessory`` lists the options)."""
    if name == "all":
        return list(k.config.accessories.values())
    return [k.config.accessory(name)]


def boot(k: KamalContext, name: str, *, login: bool = True) -> None:
    """Create directories, upload files and run the accessory container on its hosts."""
    config = k.config
    for accessory in selected(k, name):
        k.output.info(f"Booting accessory {accessory.name}...")

        def start(host: Host, accessory: Accessory = accessory) -> None:
            if login:
                registry_login(k).run_on(host)
            upload_files(k, host, accessory)
            if accessory.directories:
                host.run(accessory_commands.make_directories(accessory))
            host.run(accessory_commands.run(config, accessory))
            k.output.host(host.name, f"Booted {accessory.service}")

        k.runner.on(accessory.hosts, start)


def upload_files(k: KamalContext, host: Host, accessory: Accessory) -> None:
    """Copy each of the accessory's ``files`` to the host."""
    for local, remote in accessory_commands.files(accessory).items():
        host.run(accessory_commands.make_file_directory(remote))
        content = read_local_file(k, accessory, local)
        host.upload(content, remote, shown=local)
        host.run(accessory_commands.chmod_file(remote))


def read_local_file(k: KamalContext, accessory: Accessory, local: str) -> str:
    """The text of one of the accessory's ``files`` (relative to the project root)."""
    try:
        return (k.root / local).read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = "no such file"
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    except OSError as error:
        problem = error.strerror or "can't read it"
    raise AccessoryFileUnreadable(accessory.name, local, problem)


def each_host(
    k: KamalContext, name: str, build: Callable[[Accessory], str], *, warn: bool = False
) -> None:
    """Run ``build(accessory)``'s command on each selected accessory's hosts; print output."""
    for accessory in selected(k, name):
        command = build(accessory)
        results = k.runner.run(accessory.hosts, command, warn=warn)
        for host, result in results.items():
            if result.stdout.strip():
                k.output.result(f"[{host}] {accessory.service}:\n{result.stdout.rstrip()}")


def remove(k: KamalContext, name: str) -> None:
    """Stop and remove the accessory's container, image and data directory."""
    for accessory in selected(k, name):

        def drop(host: Host, accessory: Accessory = accessory) -> None:
            host.run(accessory_commands.stop(accessory), warn=True)
            host.run(accessory_commands.remove_container(accessory), warn=True)
            host.run(accessory_commands.remove_image(accessory), warn=True)
            host.run(accessory_commands.remove_service_directory(accessory), warn=True)
            k.output.host(host.name, f"Removed {accessory.service}")

        k.runner.on(accessory.hosts, drop)


def reboot(k: KamalContext, name: str) -> None:
    """Stop and remove the accessory's container, then boot it again."""
    for accessory in selected(k, name):
        k.runner.run(accessory.hosts, accessory_commands.stop(accessory), warn=True)
        k.runner.run(accessory.hosts, accessory_commands.remove_container(accessory), warn=True)
    boot(k, name)
