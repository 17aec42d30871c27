"""Local sandbox for integration tests: a registry and Debian "servers" in Docker.

Every server container runs sshd and its own Docker engine, so the library can
deploy to it over SSH exactly as to a real host. The registry container is
published on ``127.0.0.1:5555`` on this machine, and each server forwards its own
``127.0.0.1:5555`` to the registry, so the image name ``localhost:5555/NAME``
works identically here and on the servers (and Docker treats it as insecure
without any daemon configuration).

All images are built locally (nothing can be pulled on these machines) and cached
by name; each carries a digest of its build inputs and is rebuilt when they change.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
from docker.errors import APIError, BuildError, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.types import IPAMConfig, IPAMPool, Mount

REPO_ROOT = Path(__file__).resolve().parents[1]
IMAGES_DIR = Path(__file__).resolve().parent / "images"
DEFAULT_STATE_DIR = REPO_ROOT / ".kamal" / "sandbox"

NETWORK = "kamal-sandbox"
SUBNET = "172.31.231.0/24"
GATEWAY = "172.31.231.1"
REGISTRY_NAME = "kamal-registry"
REGISTRY_IP = "172.31.231.2"
REGISTRY_PORT = 5555
REGISTRY_VOLUME = "kamal-sandbox-registry"
SERVER_PREFIX = "kamal-server-"
FIRST_SERVER_OCTET = 11

DEBIAN_BASE_IMAGE = "kamal-sandbox/debian-base:bookworm"
SERVER_IMAGE = "kamal-sandbox/server:latest"
REGISTRY_IMAGE = "kamal-sandbox/registry:latest"
BUSYBOX_IMAGE = "kamal-sandbox/busybox:latest"
TRAEFIK_STANDIN_IMAGE = f"localhost:{REGISTRY_PORT}/traefik-standin:latest"

ROLE_LABEL = "kamal-sandbox.role"
INPUTS_LABEL = "kamal-sandbox.inputs"

DEBOOTSTRAP_PACKAGES = "openssh-server,docker.io,iproute2,ca-certificates,curl,socat"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")

READY_TIMEOUT = 120.0
HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")


class SandboxError(RuntimeError):
    """The sandbox could not be built, started or queried."""


class Sandbox:
    """A registry and ``servers`` SSH-reachable Debian servers running Docker.

    ``up()`` and ``down()`` are idempotent. Servers are addressed by IP
    (``172.31.231.11`` …) or by container name (``kamal-server-1`` …).
    """

    registry: str = f"localhost:{REGISTRY_PORT}"

    def __init__(self, servers: int = 3, state_dir: Path | None = None) -> None:
        if servers < 1 or servers > 200:
            raise ValueError("servers must be between 1 and 200")
        self.servers = servers
        self.state_dir = Path(state_dir) if state_dir else DEFAULT_STATE_DIR
        self.ssh_key_path = self.state_dir / "id_ed25519"
        #: The servers' current host keys, rewritten by ``up()`` (containers get recreated).
        self.known_hosts_path = self.state_dir / "known_hosts"
        self._client: docker.DockerClient | None = None

    # ----------------------------------------------------------------- naming
    @property
    def client(self) -> docker.DockerClient:
        """The docker SDK client of the local engine (created on first use)."""
        if self._client is None:
            self._client = docker.from_env(timeout=900)
        return self._client

    @property
    def server_names(self) -> list[str]:
        """Container names (and hostnames) of the servers, in order."""
        return [f"{SERVER_PREFIX}{index}" for index in range(1, self.servers + 1)]

    @property
    def hosts(self) -> list[str]:
        """IP addresses of the servers, in order (what deploy configs list)."""
        return [_server_ip(index) for index in range(1, self.servers + 1)]

    @property
    def ssh_public_key(self) -> str:
        """The public half of the sandbox SSH key."""
        return self.ssh_key_path.with_suffix(".pub").read_text().strip()

    def server_name(self, host: str) -> str:
        """The container name for a server given by IP or by name."""
        if host in self.server_names:
            return host
        if host in self.hosts:
            return self.server_names[self.hosts.index(host)]
        raise SandboxError(f"unknown sandbox server {host!r} (known: {', '.join(self.hosts)})")

    # -------------------------------------------------------------- lifecycle
    def up(self, rebuild: bool = False) -> None:
        """Build missing images, start network, registry and servers, wait until ready."""
        started = time.monotonic()
        self.ensure_ssh_key()
        self.build_images(rebuild=rebuild)
        self._ensure_network()
        self._ensure_registry()
        self._remove_extra_servers()
        for index in range(1, self.servers + 1):
            self._ensure_server(index)
        self._wait_for_registry()
        self.push_image(self._build_traefik_standin(rebuild), quiet=True)
        self.wait_until_ready()
        self.write_known_hosts()
        _say(f"sandbox up in {time.monotonic() - started:.1f}s: {', '.join(self.hosts)}")

    def down(self, purge: bool = False) -> None:
        """Remove servers (with their volumes), registry and network.

        ``purge`` also removes the registry volume (every pushed image).
        """
        for container in self._labelled_containers():
            _say(f"removing {container.name}")
            container.remove(force=True, v=True)
        for network in self.client.networks.list(names=[NETWORK]):
            network.remove()
        if purge:
            self._remove_registry_volume()

    def status(self) -> dict[str, str]:
        """Container name -> docker status for every sandbox container."""
        return {c.name: c.status for c in self._labelled_containers()}

    def wait_until_ready(self, hosts: Iterable[str] | None = None) -> None:
        """Wait until each server's sshd answers on port 22 and its inner docker works."""
        pending = {self.server_name(h) for h in (hosts or self.server_names)}
        deadline = time.monotonic() + READY_TIMEOUT
        while pending:
            pending = {name for name in pending if not self._server_ready(name)}
            if pending and time.monotonic() > deadline:
                waited = f"{READY_TIMEOUT:.0f}s"
                raise SandboxError(f"servers not ready after {waited}: {sorted(pending)}")
            if pending:
                time.sleep(0.5)

    def reset_servers(self) -> None:
        """Remove every inner container and volume and ``/root/.kamal`` on all servers."""
        script = (
            "docker ps -aq | xargs -r docker rm -f >/dev/null; "
            "docker volume prune -f >/dev/null; rm -rf /root/.kamal"
        )
        for host in self.hosts:
            self._checked_exec(host, script)

    # ------------------------------------------------------------ server ops
    def server_exec(self, host: str, command: str) -> tuple[int, str]:
        """Run ``sh -c command`` inside a server container; return (exit code, output)."""
        container = self._container(self.server_name(host))
        result = container.exec_run(["sh", "-c", command])
        return result.exit_code, result.output.decode(errors="replace")

    def stop_sshd(self, host: str) -> None:
        """Kill every sshd process on a server (the listener and open sessions)."""
        self._checked_exec(host, "/usr/local/sbin/sandbox-sshd stop")

    def start_sshd(self, host: str) -> None:
        """Start sshd on a server again and wait until it accepts connections."""
        self._checked_exec(host, "/usr/local/sbin/sandbox-sshd start")
        self.wait_until_ready([host])

    def stop_server(self, host: str) -> None:
        """Stop a server container (its sshd and inner engine go away)."""
        self._container(self.server_name(host)).stop(timeout=20)

    def start_server(self, host: str) -> None:
        """Start a stopped server container and wait until it is ready."""
        self._container(self.server_name(host)).start()
        self.wait_until_ready([host])

    def fetch(
        self,
        host: str,
        path: str = "/version",
        filters: Iterable[str] = ("label=service=demo", "label=role=web"),
        port: int = 3000,
    ) -> str:
        """GET ``path`` from the newest running app container matching ``filters`` on a server.

        ``filters`` are ``docker ps --filter`` values. Raises SandboxError when no
        container matches or the request fails.
        """
        ip = self.app_container_ip(host, filters)
        code, body = self.server_exec(host, f"curl -fsS --max-time 5 http://{ip}:{port}{path}")
        if code != 0:
            raise SandboxError(f"{host}: GET {path} from {ip}:{port} failed: {body.strip()}")
        return body

    def app_container_ip(self, host: str, filters: Iterable[str]) -> str:
        """Inner-network IP of the newest running container matching ``filters`` on a server."""
        flags = " ".join(f"--filter {f}" for f in [*filters, "status=running"])
        ids = self._checked_exec(host, f"docker ps -q {flags}").split()
        if not ids:
            raise SandboxError(f"{host}: no running container matches {flags}")
        template = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
        ips = self._checked_exec(host, f"docker inspect -f '{template}' {ids[0]}").split()
        if not ips:
            raise SandboxError(f"{host}: container {ids[0]} has no network address")
        return ips[0]

    # ---------------------------------------------------------------- images
    def build_images(self, rebuild: bool = False) -> None:
        """Build every sandbox image that is missing or stale (all of them with ``rebuild``)."""
        _build_busybox(self.client, rebuild)
        _build_registry(self.client, rebuild)
        _build_debian_base(self.client, rebuild, self.state_dir)
        _build_from_dir(self.client, IMAGES_DIR / "server", SERVER_IMAGE, rebuild)

    def build_app_image(
        self, context_dir: Path | str, tag: str, labels: dict[str, str] | None = None
    ) -> str:
        """Build an app image from ``context_dir`` (its Dockerfile) as ``tag``; return the tag."""
        _build_image(self.client, Path(context_dir), tag, labels or {})
        return tag

    def push_image(self, tag: str, quiet: bool = False) -> None:
        """Push ``tag`` (a ``localhost:5555/...`` name) to the sandbox registry."""
        repository, _, version = tag.rpartition(":")
        if not quiet:
            _say(f"pushing {tag}")
        for line in self.client.images.push(repository, version, stream=True, decode=True):
            if "error" in line:
                raise SandboxError(f"push of {tag} failed: {line['error']}")

    def _build_traefik_standin(self, rebuild: bool) -> str:
        _build_from_dir(self.client, IMAGES_DIR / "traefik-standin", TRAEFIK_STANDIN_IMAGE, rebuild)
        return TRAEFIK_STANDIN_IMAGE

    # ------------------------------------------------------------- ssh key
    def ensure_ssh_key(self) -> Path:
        """Generate the sandbox ed25519 key pair once (mode 0600); return its path."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not self.ssh_key_path.exists():
            _say(f"generating SSH key {self.ssh_key_path}")
            _run(
                [
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "kamal-sandbox",
                    "-f",
                    str(self.ssh_key_path),
                ]
            )
        self.ssh_key_path.chmod(0o600)
        return self.ssh_key_path

    # ------------------------------------------------------------ host keys
    def write_known_hosts(self) -> Path:
        """Write ``known_hosts`` with every server's host keys, read inside its container.

        Server containers generate new host keys whenever they are recreated, so the file is
        rewritten (atomically) on every ``up()``; projects on the sandbox point
        ``ssh/user_known_hosts_file`` at it, and nothing lands in ``~/.ssh/known_hosts``.
        """
        lines = [f"{host} {key}" for host in self.hosts for key in self.host_keys(host)]
        temporary = self.known_hosts_path.with_suffix(".tmp")
        temporary.write_text("\n".join(lines) + "\n")
        temporary.replace(self.known_hosts_path)
        return self.known_hosts_path

    def host_keys(self, host: str, attempts: int = 5) -> list[str]:
        """``TYPE BASE64`` of a server's host keys, ed25519 first."""
        files = " ".join(f"/etc/ssh/ssh_host_{kind}_key.pub" for kind in HOST_KEY_TYPES)
        for _ in range(attempts):
            code, output = self.server_exec(host, f"cat {files}")
            keys = [" ".join(line.split()[:2]) for line in output.splitlines() if line.strip()]
            if code == 0 and len(keys) == len(HOST_KEY_TYPES):
                return keys
            time.sleep(0.2)  # exec output now and then comes back empty (docker-py#2042)
        raise SandboxError(f"{host}: cannot read its SSH host keys: {output.strip()}")

    # ------------------------------------------------------------ internals
    def _ensure_network(self) -> None:
        if self.client.networks.list(names=[NETWORK]):
            return
        _say(f"creating network {NETWORK} ({SUBNET})")
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=SUBNET, gateway=GATEWAY)])
        self.client.networks.create(
            NETWORK, driver="bridge", ipam=ipam, labels={ROLE_LABEL: "network"}
        )

    def _ensure_registry(self) -> None:
        container = self._current_container(REGISTRY_NAME, REGISTRY_IMAGE, {})
        if container is not None:
            _start_if_stopped(container)
            return
        _say(f"starting {REGISTRY_NAME} on 127.0.0.1:{REGISTRY_PORT}")
        self.client.containers.run(
            REGISTRY_IMAGE,
            name=REGISTRY_NAME,
            hostname=REGISTRY_NAME,
            detach=True,
            labels={ROLE_LABEL: "registry"},
            ports={"5000/tcp": ("127.0.0.1", REGISTRY_PORT)},
            volumes={REGISTRY_VOLUME: {"bind": "/var/lib/registry", "mode": "rw"}},
            restart_policy={"Name": "unless-stopped"},
            network=NETWORK,
            networking_config={NETWORK: self._endpoint(REGISTRY_IP)},
        )

    def _ensure_server(self, index: int) -> None:
        name = f"{SERVER_PREFIX}{index}"
        env = {"SSH_AUTHORIZED_KEY": self.ssh_public_key}
        container = self._current_container(name, SERVER_IMAGE, env)
        if container is not None:
            _start_if_stopped(container)
            return
        _say(f"starting {name} ({_server_ip(index)})")
        api = self.client.api
        created = api.create_container(
            SERVER_IMAGE,
            name=name,
            hostname=name,
            environment=env,
            labels={ROLE_LABEL: "server"},
            host_config=self._server_host_config(),
            networking_config=api.create_networking_config(
                {NETWORK: self._endpoint(_server_ip(index))}
            ),
        )
        api.start(created["Id"])

    def _server_host_config(self) -> dict:
        """Docker-in-docker without --privileged (which fails here: no CAP_SYS_RESOURCE)."""
        host_config = self.client.api.create_host_config(
            cap_add=["ALL"],
            cap_drop=["SYS_RESOURCE"],
            security_opt=["seccomp=unconfined", "apparmor=unconfined"],
            cgroupns="host",
            binds=["/sys/fs/cgroup:/sys/fs/cgroup:rw"],
            tmpfs={"/run": "", "/tmp": ""},
            mounts=[Mount(target="/var/lib/docker", source=None, type="volume")],
            network_mode=NETWORK,
        )
        # `--security-opt systempaths=unconfined` is a docker CLI option, not an engine
        # one: the CLI turns it into empty MaskedPaths/ReadonlyPaths, and so do we.
        host_config["MaskedPaths"] = []
        host_config["ReadonlyPaths"] = []
        return host_config

    def _endpoint(self, ip: str) -> dict:
        return self.client.api.create_endpoint_config(ipv4_address=ip)

    def _current_container(self, name: str, image: str, env: dict[str, str]) -> Container | None:
        """The existing container ``name`` if it runs the current image and env, else None."""
        try:
            container = self.client.containers.get(name)
        except NotFound:
            return None
        wanted_env = {f"{key}={value}" for key, value in env.items()}
        if container.attrs["Image"] == self.client.images.get(image).id and wanted_env <= set(
            container.attrs["Config"]["Env"] or []
        ):
            return container
        _say(f"replacing outdated {name}")
        container.remove(force=True, v=True)
        return None

    def _remove_extra_servers(self) -> None:
        wanted = set(self.server_names)
        for container in self._labelled_containers("server"):
            if container.name not in wanted:
                _say(f"removing extra server {container.name}")
                container.remove(force=True, v=True)

    def _labelled_containers(self, role: str | None = None) -> list[Container]:
        label = f"{ROLE_LABEL}={role}" if role else ROLE_LABEL
        return self.client.containers.list(all=True, filters={"label": label})

    def _container(self, name: str) -> Container:
        try:
            return self.client.containers.get(name)
        except NotFound as error:
            raise SandboxError(f"{name} does not exist: run Sandbox.up() first") from error

    def _server_ready(self, name: str) -> bool:
        container = self._container(name)
        container.reload()
        if container.status != "running":
            if container.status in ("exited", "dead"):
                logs = container.logs(tail=20).decode(errors="replace")
                raise SandboxError(f"{name} exited:\n{logs}")
            return False
        ip = self.hosts[self.server_names.index(name)]
        return _ssh_banner(ip) and container.exec_run(["docker", "info"]).exit_code == 0

    def _wait_for_registry(self) -> None:
        deadline = time.monotonic() + 30
        url = f"http://127.0.0.1:{REGISTRY_PORT}/v2/"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SandboxError(f"registry does not answer {url}")
            time.sleep(0.3)

    def _remove_registry_volume(self) -> None:
        try:
            self.client.volumes.get(REGISTRY_VOLUME).remove(force=True)
            _say(f"removed volume {REGISTRY_VOLUME}")
        except NotFound:
            pass

    def _checked_exec(self, host: str, command: str) -> str:
        code, output = self.server_exec(host, command)
        if code != 0:
            raise SandboxError(f"{host}: `{command}` exited {code}: {output.strip()}")
        return output


# ------------------------------------------------------------------ helpers
def _server_ip(index: int) -> str:
    return f"172.31.231.{FIRST_SERVER_OCTET + index - 1}"


def _say(message: str) -> None:
    print(f"[sandbox] {message}", flush=True)


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, check=True, **kwargs)
    except (OSError, subprocess.CalledProcessError) as error:
        raise SandboxError(f"{argv[0]} failed: {error}") from error


def _ssh_banner(ip: str) -> bool:
    try:
        with socket.create_connection((ip, 22), timeout=2) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def _start_if_stopped(container: Container) -> None:
    if container.status != "running":
        _say(f"starting stopped {container.name}")
        container.start()


def _digest(*parts: Path | str) -> str:
    """Digest of build inputs: files (recursively) and literal strings."""
    sha = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            files = sorted(p for p in part.rglob("*") if p.is_file()) if part.is_dir() else [part]
            for file in files:
                sha.update(file.name.encode())
                sha.update(file.read_bytes())
        else:
            sha.update(part.encode())
    return sha.hexdigest()[:16]


def _image_is_current(client: docker.DockerClient, tag: str, digest: str) -> bool:
    try:
        image = client.images.get(tag)
    except ImageNotFound:
        return False
    labels = image.labels or {}
    env = image.attrs.get("Config", {}).get("Env") or []
    return labels.get(INPUTS_LABEL) == digest or f"SANDBOX_INPUTS={digest}" in env


def _build_image(
    client: docker.DockerClient, context: Path, tag: str, labels: dict[str, str]
) -> None:
    try:
        client.images.build(path=str(context), tag=tag, labels=labels, rm=True, forcerm=True)
    except BuildError as error:
        log = "".join(chunk.get("stream", "") for chunk in error.build_log)
        raise SandboxError(f"building {tag} failed: {error.msg}\n{log[-2000:]}") from error
    except APIError as error:
        raise SandboxError(f"building {tag} failed: {error.explanation}") from error


def _build_from_dir(client: docker.DockerClient, context: Path, tag: str, rebuild: bool) -> None:
    digest = _digest(context)
    if not rebuild and _image_is_current(client, tag, digest):
        return
    _say(f"building {tag}")
    _build_image(client, context, tag, {INPUTS_LABEL: digest})


def _build_busybox(client: docker.DockerClient, rebuild: bool) -> None:
    busybox = shutil.which("busybox") or "/bin/busybox"
    context = IMAGES_DIR / "busybox"
    digest = _digest(context, Path(busybox))
    if not rebuild and _image_is_current(client, BUSYBOX_IMAGE, digest):
        return
    _say(f"building {BUSYBOX_IMAGE}")
    with _temp_dir("busybox-") as tmp:
        shutil.copytree(context, tmp, dirs_exist_ok=True)
        shutil.copy2(busybox, tmp / "busybox")
        _build_image(client, tmp, BUSYBOX_IMAGE, {INPUTS_LABEL: digest})


def _build_registry(client: docker.DockerClient, rebuild: bool) -> None:
    binary = Path("/usr/bin/docker-registry")
    config = IMAGES_DIR / "registry" / "config.yml"
    digest = _digest(binary, config)
    if not rebuild and _image_is_current(client, REGISTRY_IMAGE, digest):
        return
    if not binary.exists():
        raise SandboxError(f"{binary} missing: run scripts/setup-host.sh")
    _say(f"building {REGISTRY_IMAGE} from {binary}")
    with _temp_dir("registry-") as rootfs:
        for file in [binary, *_shared_libraries(binary)]:
            _copy_into(rootfs, file)
        _copy_into(rootfs, config, Path("/etc/docker/registry/config.yml"))
        for directory in ("var/lib/registry", "tmp"):
            (rootfs / directory).mkdir(parents=True, exist_ok=True)
        changes = [
            f"LABEL {INPUTS_LABEL}={digest}",
            "EXPOSE 5000",
            'CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]',
        ]
        _import_rootfs(client, rootfs, REGISTRY_IMAGE, changes)


def _build_debian_base(client: docker.DockerClient, rebuild: bool, state_dir: Path) -> None:
    digest = _digest(DEBOOTSTRAP_PACKAGES)
    if not rebuild and _image_is_current(client, DEBIAN_BASE_IMAGE, digest):
        return
    mirror = debian_mirror()
    _say(f"debootstrapping Debian bookworm from {mirror} (about a minute)")
    log_path = state_dir / "debootstrap.log"
    with _temp_dir("debootstrap-") as rootfs, open(log_path, "w") as log:
        argv = [
            "debootstrap",
            "--variant=minbase",
            f"--include={DEBOOTSTRAP_PACKAGES}",
            "bookworm",
            str(rootfs),
            mirror,
        ]
        if subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise SandboxError(f"debootstrap failed (full log: {log_path}):\n{tail}")
        _trim_rootfs(rootfs)
        _say(f"importing {DEBIAN_BASE_IMAGE}")
        changes = [f"LABEL {INPUTS_LABEL}={digest}", 'CMD ["/bin/bash"]']
        _import_rootfs(client, rootfs, DEBIAN_BASE_IMAGE, changes)


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (first non-security URI), or the default."""
    try:
        lines = DEBIAN_SOURCES.read_text().splitlines()
    except OSError:
        return DEFAULT_MIRROR
    for line in lines:
        key, _, value = line.partition(":")
        uri = value.strip().split(" ")[0]
        if key.strip() == "URIs" and uri and "security" not in uri:
            return uri
    return DEFAULT_MIRROR


def _trim_rootfs(rootfs: Path) -> None:
    """Drop apt caches: they only make the image bigger."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*_*"):
        for file in rootfs.glob(pattern):
            file.unlink()


def _import_rootfs(client: docker.DockerClient, rootfs: Path, tag: str, changes: list[str]) -> None:
    """Stream ``tar -C rootfs -c .`` into the engine as image ``tag`` (like docker import)."""
    repository, _, version = tag.rpartition(":")
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
    )
    try:
        result = client.api.import_image(
            src=tar.stdout, repository=repository, tag=version, changes=changes, stream_src=True
        )
    finally:
        tar.stdout.close()
        tar_status = tar.wait()
    if tar_status != 0 or '"error"' in str(result):
        raise SandboxError(f"importing {tag} failed (tar exit {tar_status}): {result}")


def _shared_libraries(binary: Path) -> list[Path]:
    """Files ``ldd`` says ``binary`` loads (libc and the dynamic loader)."""
    output = _run(["ldd", str(binary)], capture_output=True, text=True).stdout
    paths = []
    for line in output.splitlines():
        for word in line.split():
            if word.startswith("/"):
                paths.append(Path(word))
    return paths


def _copy_into(rootfs: Path, source: Path, target: Path | None = None) -> None:
    """Copy ``source`` (following symlinks) into ``rootfs`` at ``target`` or its own path."""
    destination = rootfs / (target or source).relative_to("/")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.resolve(), destination)


@contextmanager
def _temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"kamal-sandbox-{prefix}"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
