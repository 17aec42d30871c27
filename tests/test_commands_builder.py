"""Builder commands for every builder kind, to the byte."""

from __future__ import annotations

from kamal_tasks.commands import builder

TAGS = "-t dhh/app:999 -t dhh/app:latest"
LABEL = '--label service="app"'
REMOTE = {"arch": "amd64", "host": "ssh://root@192.168.0.1"}
LOCAL = {"arch": "arm64", "host": "unix:///Users/dhh/.docker/run/docker.sock"}


def test_native(make_config):
    config = make_config(builder={"multiarch": False})
    assert config.builder.kind == "native"
    assert builder.push(config) == (
        f"docker build {TAGS} {LABEL} --file Dockerfile . && "
        "docker push dhh/app:999 && docker push dhh/app:latest"
    )
    assert builder.create(config) == ""
    assert builder.remove(config) == ""
    assert builder.info(config) == ""
    assert builder.builder_name(config) == ""


def test_native_with_everything(make_config):
    config = make_config(
        builder={
            "multiarch": False,
            "args": {"RUBY_VERSION": "3.3", "NOTE": 'a "b" $c'},
            "secrets": ["GITHUB_TOKEN", "NPM_TOKEN"],
            "target": "prod",
            "ssh": "default=$SSH_AUTH_SOCK",
            "dockerfile": "Dockerfile.prod",
            "context": "./app",
        },
        registry={"server": "registry.example.com", "username": "u", "password": "p"},
    )
    assert builder.push(config) == (
        "docker build -t registry.example.com/dhh/app:999 "
        "-t registry.example.com/dhh/app:latest "
        '--label service="app" --build-arg RUBY_VERSION="3.3" '
        '--build-arg NOTE="a \\"b\\" \\$c" '
        '--secret id="GITHUB_TOKEN" --secret id="NPM_TOKEN" '
        '--file Dockerfile.prod --target prod --ssh "default=$SSH_AUTH_SOCK" ./app && '
        "docker push registry.example.com/dhh/app:999 && "
        "docker push registry.example.com/dhh/app:latest"
    )


def test_build_args_reach_docker_unchanged(make_config, docker_argv):
    value = 'it\'s "q" $HOME `id` é'
    config = make_config(builder={"multiarch": False, "args": {"A": value}})
    build, *_ = docker_argv(builder.push(config))
    assert build[build.index("--build-arg") + 1] == f"A={value}"


def test_native_cached_gha(make_config):
    config = make_config(builder={"multiarch": False, "cache": {"type": "gha"}})
    assert config.builder.kind == "native_cached"
    assert builder.push(config) == (
        f"docker buildx build --push {TAGS} --cache-to type=gha --cache-from type=gha "
        f"{LABEL} --file Dockerfile ."
    )
    assert builder.create(config) == (
        "docker buildx create --name kamal-app-native-cached --use --driver=docker-container"
    )
    assert builder.remove(config) == "docker buildx rm kamal-app-native-cached"
    assert builder.info(config) == "docker context ls && docker buildx ls"


def test_cache_options(make_config):
    gha = make_config(builder={"cache": {"type": "gha", "options": "mode=max"}})
    assert builder.cache_to(gha) == "type=gha,mode=max"
    assert builder.cache_from(gha) == "type=gha"
    registry = make_config(
        builder={"cache": {"type": "registry", "options": "mode=max,image-manifest=true"}},
        registry={"server": "registry.example.com", "username": "u", "password": "p"},
    )
    assert builder.cache_to(registry) == (
        "type=registry,mode=max,image-manifest=true,ref=registry.example.com/dhh/app-build-cache"
    )
    assert builder.cache_from(registry) == (
        "type=registry,ref=registry.example.com/dhh/app-build-cache"
    )
    named = make_config(builder={"cache": {"type": "registry", "image": "dhh/cache"}})
    assert builder.cache_to(named) == "type=registry,ref=dhh/cache"
    assert builder.cache_from(named) == "type=registry,ref=dhh/cache"
    none = make_config()
    assert builder.cache_to(none) is None and builder.cache_from(none) is None


def test_multiarch(make_config):
    config = make_config()
    assert config.builder.kind == "multiarch"
    assert builder.push(config) == (
        "docker buildx build --push --platform linux/amd64,linux/arm64 "
        f"--builder kamal-app-multiarch {TAGS} {LABEL} --file Dockerfile ."
    )
    assert builder.create(config) == "docker buildx create --use --name kamal-app-multiarch"
    assert builder.remove(config) == "docker buildx rm kamal-app-multiarch"
    assert builder.info(config) == "docker context ls && docker buildx ls"


def test_multiarch_with_registry_cache(make_config):
    config = make_config(builder={"cache": {"type": "registry", "options": "mode=max"}})
    assert builder.push(config) == (
        "docker buildx build --push --platform linux/amd64,linux/arm64 "
        f"--builder kamal-app-multiarch {TAGS} "
        "--cache-to type=registry,mode=max,ref=dhh/app-build-cache "
        "--cache-from type=registry,ref=dhh/app-build-cache "
        f"{LABEL} --file Dockerfile ."
    )


def test_native_remote(make_config):
    config = make_config(builder={"remote": REMOTE, "cache": {"type": "gha"}})
    assert config.builder.kind == "native_remote"
    assert builder.push(config) == (
        "docker buildx build --push --platform linux/amd64 "
        f"--builder kamal-app-native-remote {TAGS} "
        f"--cache-to type=gha --cache-from type=gha {LABEL} --file Dockerfile ."
    )
    assert builder.create(config) == (
        "docker context create kamal-app-native-remote-amd64 "
        "--description 'kamal-app-native-remote amd64 native host' "
        "--docker 'host=ssh://root@192.168.0.1' ; "
        "docker buildx create --name kamal-app-native-remote kamal-app-native-remote-amd64 "
        "--platform linux/amd64"
    )
    assert builder.remove(config) == (
        "docker context rm kamal-app-native-remote-amd64 ; docker buildx rm kamal-app-native-remote"
    )
    assert builder.info(config) == "docker context ls ; docker buildx ls"


def test_multiarch_remote(make_config):
    config = make_config(builder={"local": LOCAL, "remote": REMOTE})
    assert config.builder.kind == "multiarch_remote"
    assert builder.push(config) == (
        "docker buildx build --push --platform linux/amd64,linux/arm64 "
        f"--builder kamal-app-multiarch-remote {TAGS} {LABEL} --file Dockerfile ."
    )
    assert builder.create(config) == (
        "docker context create kamal-app-multiarch-remote-arm64 "
        "--description 'kamal-app-multiarch-remote arm64 native host' "
        "--docker 'host=unix:///Users/dhh/.docker/run/docker.sock' && "
        "docker context create kamal-app-multiarch-remote-amd64 "
        "--description 'kamal-app-multiarch-remote amd64 native host' "
        "--docker 'host=ssh://root@192.168.0.1' && "
        "docker buildx create --name kamal-app-multiarch-remote "
        "kamal-app-multiarch-remote-arm64 --platform linux/arm64 && "
        "docker buildx create --append --name kamal-app-multiarch-remote "
        "kamal-app-multiarch-remote-amd64 --platform linux/amd64"
    )
    assert builder.remove(config) == (
        "docker context rm kamal-app-multiarch-remote-arm64 && "
        "docker context rm kamal-app-multiarch-remote-amd64 && "
        "docker buildx rm kamal-app-multiarch-remote"
    )
    assert builder.info(config) == "docker context ls && docker buildx ls"


def test_multiarch_remote_local_host_defaults_to_docker_socket(make_config):
    config = make_config(builder={"local": {"arch": "arm64"}, "remote": REMOTE})
    assert "--docker 'host=unix:///var/run/docker.sock'" in builder.create(config)


def test_pull_and_validate(make_config):
    config = make_config()
    assert builder.pull(config) == "docker pull dhh/app:999"
    assert builder.validate_image(config) == (
        "docker inspect -f '{{ .Config.Labels.service }}' dhh/app:999 | grep -x app || "
        "(echo \"Image dhh/app:999 is missing the 'service' label\" && exit 1)"
    )


def test_validate_image_exit_status(make_config):
    import subprocess

    command = builder.validate_image(make_config())
    for label, status in (("app", 0), ("other", 1), ("", 1)):
        script = f"docker() {{ echo '{label}'; }}; {command}"
        out = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
        assert out.returncode == status
        if status:
            assert out.stdout == "Image dhh/app:999 is missing the 'service' label\n"
