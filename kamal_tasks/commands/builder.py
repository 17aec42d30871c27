"""Image building, as Kamal 1.x chooses by ``builder.kind``:

- ``native``: ``docker build`` then ``docker push`` of both tags;
- ``native_cached``: ``docker buildx build --push`` with a ``docker-container`` builder;
- ``native_remote``: buildx on one remote engine (a docker context) for its arch;
- ``multiarch``: ``docker buildx build --push --platform linux/amd64,linux/arm64``;
- ``multiarch_remote``: a buildx builder with a local and a remote node, one per arch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kamal_tasks.commands.base import (
    any_of,
    argumentize,
    chain,
    combine,
    docker,
    join,
    pipe,
    quote,
    single_quote,
    subshell,
    with_variables,
)

if TYPE_CHECKING:
    from kamal_tasks.configuration import Config

MULTIARCH_PLATFORMS = "linux/amd64,linux/arm64"
DEFAULT_LOCAL_HOST = "unix:///var/run/docker.sock"


def builder_name(config: Config) -> str:
    """The buildx builder's name: ``kamal-<service>-<kind>`` (``native`` has none)."""
    suffix = {
        "native": None,
        "native_cached": "native-cached",
        "native_remote": "native-remote",
        "multiarch": "multiarch",
        "multiarch_remote": "multiarch-remote",
    }[config.builder.kind]
    return f"kamal-{config.service}-{suffix}" if suffix else ""


def cache_image_ref(config: Config) -> str:
    """The registry cache image: ``cache.image``, else ``<image>-build-cache``, on the server."""
    image = config.builder.cache.get("image") or f"{config.image}-build-cache"
    return "/".join(part for part in (config.registry.server, image) if part)


def cache_to(config: Config) -> str | None:
    """``--cache-to`` value: ``type=gha[,options]`` or ``type=registry[,options],ref=…``."""
    cache = config.builder.cache
    options = cache.get("options")
    if cache.get("type") == "gha":
        return ",".join(part for part in ("type=gha", options) if part)
    if cache.get("type") == "registry":
        ref = f"ref={cache_image_ref(config)}"
        return ",".join(part for part in ("type=registry", options, ref) if part)
    return None


def cache_from(config: Config) -> str | None:
    """``--cache-from`` value: ``type=gha`` or ``type=registry,ref=…``."""
    cache_type = config.builder.cache.get("type")
    if cache_type == "gha":
        return "type=gha"
    if cache_type == "registry":
        return f"type=registry,ref={cache_image_ref(config)}"
    return None


def build_options(config: Config) -> str:
    """Tags, cache, service label, build args, secrets, dockerfile, target and ssh (whose
    ``$NAME`` variables expand locally, ``with_variables``)."""
    builder = config.builder
    to, source = cache_to(config), cache_from(config)
    return join(
        "-t",
        config.absolute_image,
        "-t",
        config.latest_image,
        ["--cache-to", to, "--cache-from", source] if to and source else None,
        argumentize("--label", {"service": config.service}),
        argumentize("--build-arg", builder.args),
        argumentize("--secret", [("id", secret) for secret in builder.secrets]),
        "--file",
        builder.dockerfile,
        ["--target", builder.target] if builder.target else None,
        ["--ssh", with_variables(builder.ssh)] if builder.ssh else None,
    )


def push(config: Config) -> str:
    """Build the image for this version and push it with its ``latest`` tag."""
    builder = config.builder
    kind = builder.kind
    if kind == "native":
        return combine(
            docker("build", build_options(config), builder.context),
            docker("push", config.absolute_image),
            docker("push", config.latest_image),
        )
    if kind == "native_cached":
        return docker("buildx", "build", "--push", build_options(config), builder.context)
    platform = f"linux/{builder.remote_arch}" if kind == "native_remote" else MULTIARCH_PLATFORMS
    return docker(
        "buildx",
        "build",
        "--push",
        "--platform",
        platform,
        "--builder",
        builder_name(config),
        build_options(config),
        builder.context,
    )


def _context_name(config: Config, arch: str) -> str:
    return f"{builder_name(config)}-{arch}"


def _create_context(config: Config, arch: str, host: str) -> str:
    return docker(
        "context",
        "create",
        _context_name(config, arch),
        "--description",
        single_quote(f"{builder_name(config)} {arch} native host"),
        "--docker",
        single_quote(f"host={host}"),
    )


def create(config: Config) -> str:
    """Create the buildx builder (and docker contexts for remote ones); "" for ``native``."""
    builder = config.builder
    name = builder_name(config)
    match builder.kind:
        case "native":
            return ""
        case "native_cached":
            return docker("buildx", "create", "--name", name, "--use", "--driver=docker-container")
        case "native_remote":
            arch = builder.remote_arch or ""
            return chain(
                _create_context(config, arch, builder.remote_host or ""),
                docker("buildx", "create", "--name", name, _context_name(config, arch),
                       "--platform", f"linux/{arch}"),
            )  # fmt: skip
        case "multiarch_remote":
            local, remote = builder.local_arch or "", builder.remote_arch or ""
            return combine(
                _create_context(config, local, builder.local_host or DEFAULT_LOCAL_HOST),
                _create_context(config, remote, builder.remote_host or ""),
                docker("buildx", "create", "--name", name, _context_name(config, local),
                       "--platform", f"linux/{local}"),
                docker("buildx", "create", "--append", "--name", name,
                       _context_name(config, remote), "--platform", f"linux/{remote}"),
            )  # fmt: skip
        case _:
            return docker("buildx", "create", "--use", "--name", name)


def remove(config: Config) -> str:
    """Remove the buildx builder (and its docker contexts); "" for ``native``."""
    builder = config.builder
    name = builder_name(config)
    match builder.kind:
        case "native":
            return ""
        case "native_remote":
            return chain(
                docker("context", "rm", _context_name(config, builder.remote_arch or "")),
                docker("buildx", "rm", name),
            )
        case "multiarch_remote":
            return combine(
                docker("context", "rm", _context_name(config, builder.local_arch or "")),
                docker("context", "rm", _context_name(config, builder.remote_arch or "")),
                docker("buildx", "rm", name),
            )
        case _:
            return docker("buildx", "rm", name)


def info(config: Config) -> str:
    """Show docker contexts and buildx builders; "" for ``native``."""
    match config.builder.kind:
        case "native":
            return ""
        case "native_remote":
            return chain(docker("context", "ls"), docker("buildx", "ls"))
        case _:
            return combine(docker("context", "ls"), docker("buildx", "ls"))


def pull(config: Config) -> str:
    """``docker pull <image:version>``."""
    return docker("pull", config.absolute_image)


def validate_image(config: Config) -> str:
    """Fail unless the pulled image carries the label ``service=<service>``."""
    image = config.absolute_image
    message = f"Image {image} is missing the 'service' label"
    return pipe(
        docker("inspect", "-f", single_quote("{{ .Config.Labels.service }}"), image),
        any_of(
            join("grep", "-x", config.service),
            subshell(combine(join("echo", quote(message)), join("exit", 1))),
        ),
    )
