"""Traefik commands, to the byte."""

from __future__ import annotations

from kamal_tasks.commands import traefik

#: Kamal 1.9.3's catch-all labels (configuration/traefik.rb DEFAULT_LABELS), in its order.
CATCHALL = (
    '--label traefik.http.routers.catchall.entryPoints="http" '
    '--label traefik.http.routers.catchall.rule="PathPrefix(\\`/\\`)" '
    '--label traefik.http.routers.catchall.service="unavailable" '
    '--label traefik.http.routers.catchall.priority="1" '
    '--label traefik.http.services.unavailable.loadbalancer.server.port="0" '
)
RUN = (
    "docker run --name traefik --detach --restart unless-stopped --publish 80:80 "
    "--volume /var/run/docker.sock:/var/run/docker.sock "
    '--env-file .kamal/env/traefik/traefik.env --log-opt max-size="10m" '
    f'{CATCHALL}traefik:v2.11 --providers.docker --log.level="DEBUG"'
)


def test_run(make_config):
    assert traefik.run(make_config()) == RUN


def test_run_with_everything(make_config):
    config = make_config(
        traefik={
            "image": "traefik:v2.10",
            "host_port": 8080,
            "labels": {"traefik.http.routers.dashboard.service": "api@internal"},
            "options": {"publish": ["8443:443"], "memory": "512m"},
            "args": {"accesslog": True, "log.level": "ERROR", "api.dashboard": True},
            "env": {"clear": {"CF_EMAIL": "a@b.c"}, "secret": ["CF_TOKEN"]},
        },
        logging={"driver": "journald", "options": {"tag": "traefik"}},
    )
    assert traefik.run(config) == (
        "docker run --name traefik --detach --restart unless-stopped --publish 8080:80 "
        "--volume /var/run/docker.sock:/var/run/docker.sock "
        '--env-file .kamal/env/traefik/traefik.env --env CF_EMAIL="a@b.c" '
        '--log-driver "journald" --log-opt tag="traefik" '
        f"{CATCHALL}"
        '--label traefik.http.routers.dashboard.service="api@internal" '
        '--publish "8443:443" --memory "512m" traefik:v2.10 '
        '--providers.docker --log.level="ERROR" --accesslog --api.dashboard'
    )


def test_run_unpublished(make_config):
    assert traefik.run(make_config(traefik={"publish": False})) == RUN.replace(
        "--publish 80:80 ", ""
    )


def test_start_stop_info():
    assert traefik.start() == "docker container start traefik"
    assert traefik.stop() == "docker container stop traefik"
    assert traefik.info() == "docker ps --filter name=^traefik$"


def test_start_or_run(make_config):
    assert traefik.start_or_run(make_config()) == f"docker container start traefik || {RUN}"


def test_remove():
    assert traefik.remove_container() == (
        "docker container prune --force --filter label=org.opencontainers.image.title=Traefik"
    )
    assert traefik.remove_image() == (
        "docker image prune --all --force --filter label=org.opencontainers.image.title=Traefik"
    )


def test_logs():
    assert traefik.logs() == "docker logs traefik --timestamps 2>&1"
    assert traefik.logs(since="1h", lines=10, grep="error", grep_options="-i") == (
        'docker logs traefik --since "1h" --tail 10 --timestamps 2>&1 | grep "error" -i'
    )
    assert traefik.logs(lines=5, follow=True) == (
        "docker logs traefik --tail 5 --timestamps --follow 2>&1"
    )


def test_configured_labels_replace_the_defaults_in_place(make_config):
    config = make_config(
        traefik={"labels": {"traefik.http.routers.catchall.priority": 5, "extra": "x"}}
    )
    assert traefik.run(config) == RUN.replace(
        'catchall.priority="1" ', 'catchall.priority="5" '
    ).replace("traefik:v2.11", '--label extra="x" traefik:v2.11')


def test_catchall_labels_reach_docker_unchanged(make_config, docker_argv):
    (argv,) = docker_argv(traefik.run(make_config()))
    labels = [argv[i + 1] for i, word in enumerate(argv) if word == "--label"]
    assert labels == [
        "traefik.http.routers.catchall.entryPoints=http",
        "traefik.http.routers.catchall.rule=PathPrefix(`/`)",
        "traefik.http.routers.catchall.service=unavailable",
        "traefik.http.routers.catchall.priority=1",
        "traefik.http.services.unavailable.loadbalancer.server.port=0",
    ]
