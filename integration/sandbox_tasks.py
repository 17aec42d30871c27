"""Invoke tasks for the local sandbox: ``sandbox.up``, ``down``, ``status``, ``check``.

The docker SDK and the harness are imported inside the task bodies so that
``inv --list`` stays fast and works without Docker.
"""

from __future__ import annotations

from invoke import Collection, Exit, task


def _sandbox(servers: int = 3):
    from .harness import Sandbox

    return Sandbox(servers=servers)


@task(
    help={
        "servers": "number of server containers (default 3)",
        "rebuild": "rebuild every sandbox image, debootstrap included",
    }
)
def up(c, servers=3, rebuild=False):
    """Start the sandbox: a registry and N SSH-reachable Debian servers running Docker."""
    sandbox = _sandbox(servers)
    sandbox.up(rebuild=rebuild)
    key = sandbox.ssh_key_path
    print()
    print("Sandbox servers (user root):")
    for name, host in zip(sandbox.server_names, sandbox.hosts, strict=True):
        print(f"  {host}  ({name})")
    print(f"SSH key:  {key}")
    print(f"Host keys: {sandbox.known_hosts_path}")
    print(f"Registry: {sandbox.registry} (same name on this machine and on the servers)")
    print()
    print("Next:")
    print(
        f"  ssh -i {key} -o UserKnownHostsFile={sandbox.known_hosts_path} "
        f"root@{sandbox.hosts[0]} docker ps"
    )
    print("  inv setup                    # deploy the app in config/deploy.yml")
    print("  inv sandbox.check            # ask each server which version it serves")
    print("  inv sandbox.down [--purge]   # remove it (--purge drops pushed images)")


@task(help={"purge": "also remove the registry volume (every pushed image)"})
def down(c, purge=False):
    """Remove the sandbox servers, registry and network (images stay cached)."""
    _sandbox().down(purge=purge)


@task
def status(c):
    """Show which sandbox containers exist and whether they run."""
    states = _sandbox().status()
    if not states:
        print("sandbox is down (run: inv sandbox.up)")
        return
    for name, state in sorted(states.items()):
        print(f"{name:<20} {state}")


@task(
    help={
        "service": "service label of the app (default demo)",
        "role": "role label of the app containers (default web)",
        "servers": "number of sandbox servers to check (default 3)",
    }
)
def check(c, service="demo", role="web", servers=3):
    """Print HOST: VERSION as served at /version by the app on each server."""
    from .harness import SandboxError

    sandbox = _sandbox(servers)
    failed = []
    for host in sandbox.hosts:
        try:
            version = sandbox.fetch(
                host, "/version", filters=(f"label=service={service}", f"label=role={role}")
            )
            print(f"{host}: {version.strip()}")
        except SandboxError as error:
            print(f"{host}: NO ANSWER ({error})")
            failed.append(host)
    if failed:
        raise Exit(f"{len(failed)} server(s) did not answer: {', '.join(failed)}", code=1)


sandbox = Collection("sandbox", up, down, status, check)
