"""App container commands, to the byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kamal_tasks.commands import app, app_exec

ROLES = {
    "web": ["1.1.1.1", "1.1.1.2"],
    "workers": {"hosts": ["1.1.1.3"], "cmd": "bin/jobs"},
}
TRAEFIK_LABELS = (
    '--label traefik.http.services.app-web.loadbalancer.server.scheme="http" '
    '--label traefik.http.routers.app-web.rule="PathPrefix(\\`/\\`)" '
    '--label traefik.http.routers.app-web.priority="2" '
    '--label traefik.http.middlewares.app-web-retry.retry.attempts="5" '
    '--label traefik.http.middlewares.app-web-retry.retry.initialinterval="500ms" '
    '--label traefik.http.routers.app-web.middlewares="app-web-retry@docker"'
)
HEALTH = (
    '--health-cmd "(curl -f http://localhost:3000/up || exit 1) && '
    '(stat /tmp/kamal-cord/cord > /dev/null || exit 1)" --health-interval "1s" '
    "--volume $(pwd)/.kamal/cords/app-web-12345678:/tmp/kamal-cord"
)


@pytest.fixture
def config(make_config):
    return make_config(servers=ROLES)


def test_run_traefik_role(config):
    assert app.run(config, config.role("web"), "1.1.1.1", cord_id="12345678") == (
        "docker run --detach --restart unless-stopped --name app-web-999 "
        '-e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" '
        f"--env-file .kamal/env/roles/app-web.env {HEALTH} "
        '--log-opt max-size="10m" --label service="app" --label role="web" '
        f"--label destination {TRAEFIK_LABELS} dhh/app:999"
    )


def test_run_starts_with_kamal_shape(config):
    command = app.run(config, config.role("web"), "1.1.1.1", cord_id="12345678")
    assert command.startswith(
        "docker run --detach --restart unless-stopped --name app-web-999 "
        '-e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-web.env --health-cmd "
        '"(curl -f http://localhost:3000/up || exit 1) && '
        '(stat /tmp/kamal-cord/cord > /dev/null || exit 1)" --health-interval "1s" '
        "--volume $(pwd)/.kamal/cords/app-web-12345678:/tmp/kamal-cord "
        '--log-opt max-size="10m" --label service="app" --label role="web" '
        "--label destination "
        '--label traefik.http.services.app-web.loadbalancer.server.scheme="http" '
        '--label traefik.http.routers.app-web.rule="PathPrefix(\\`/\\`)" '
    )
    assert command.endswith(" dhh/app:999")


def test_run_worker_has_no_health_cord_or_traefik_labels(config):
    assert app.run(config, config.role("workers"), "1.1.1.3") == (
        "docker run --detach --restart unless-stopped --name app-workers-999 "
        '-e KAMAL_CONTAINER_NAME="app-workers-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-workers.env "
        '--log-opt max-size="10m" --label service="app" --label role="workers" '
        "--label destination dhh/app:999 bin/jobs"
    )


def test_run_worker_with_custom_healthcheck_has_no_cord(make_config):
    config = make_config(
        servers={
            "web": ["1.1.1.1"],
            "workers": {
                "hosts": ["1.1.1.3"],
                "cmd": "bin/jobs",
                "healthcheck": {"cmd": "pgrep -f jobs", "interval": "5s"},
            },
        }
    )
    assert app.run(config, config.role("workers"), "1.1.1.3") == (
        "docker run --detach --restart unless-stopped --name app-workers-999 "
        '-e KAMAL_CONTAINER_NAME="app-workers-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-workers.env "
        '--health-cmd "pgrep -f jobs" --health-interval "5s" '
        '--log-opt max-size="10m" --label service="app" --label role="workers" '
        "--label destination dhh/app:999 bin/jobs"
    )


def test_run_without_cord(make_config):
    config = make_config(healthcheck={"cord": False, "port": 80, "path": "/health"})
    assert app.run(config, config.role("web"), "1.1.1.1") == (
        "docker run --detach --restart unless-stopped --name app-web-999 "
        '-e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-web.env "
        '--health-cmd "curl -f http://localhost/health || exit 1" --health-interval "1s" '
        '--log-opt max-size="10m" --label service="app" --label role="web" '
        f"--label destination {TRAEFIK_LABELS} dhh/app:999"
    )


def test_run_traefik_role_with_kamals_hostname(config):
    hostname = app.container_hostname("1.1.1.1", "0a1b2c3d4e5f6789")
    assert app.run(
        config, config.role("web"), "1.1.1.1", cord_id="12345678", hostname=hostname
    ) == (
        "docker run --detach --restart unless-stopped --name app-web-999 "
        "--hostname 1.1.1.1-0a1b2c3d4e5f "
        '-e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" '
        f"--env-file .kamal/env/roles/app-web.env {HEALTH} "
        '--log-opt max-size="10m" --label service="app" --label role="web" '
        f"--label destination {TRAEFIK_LABELS} dhh/app:999"
    )


def test_run_worker_role_with_kamals_hostname(config):
    hostname = app.container_hostname("1.1.1.3", "fedcba987654")
    assert app.run(config, config.role("workers"), "1.1.1.3", hostname=hostname) == (
        "docker run --detach --restart unless-stopped --name app-workers-999 "
        "--hostname 1.1.1.3-fedcba987654 "
        '-e KAMAL_CONTAINER_NAME="app-workers-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-workers.env "
        '--log-opt max-size="10m" --label service="app" --label role="workers" '
        "--label destination dhh/app:999 bin/jobs"
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("1.1.1.1", "1.1.1.1-0123456789ab"),
        ("web.example.com.", "web.example.com-0123456789ab"),
        ("web.example.com...", "web.example.com-0123456789ab"),
        # the first 51 characters, then trailing dots removed
        ("a" * 60, "a" * 51 + "-0123456789ab"),
        ("a" * 50 + "." + "b" * 9, "a" * 50 + "-0123456789ab"),
        ("a" * 49 + ".." + "b" * 9, "a" * 49 + "-0123456789ab"),
    ],
)
def test_container_hostname_is_kamals(host, expected):
    assert app.container_hostname(host, "0123456789abcdef") == expected


@given(
    st.from_regex(r"[a-z0-9.-]{1,80}", fullmatch=True),
    st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
)
def test_container_hostname_fits_a_hostname(host, unique):
    name = app.container_hostname(host, unique)
    prefix, _, suffix = name.rpartition("-")
    assert len(name) <= 64
    assert suffix == unique[:12]
    assert prefix == host[:51].rstrip(".")
    assert not prefix.endswith(".")


def test_run_traefik_role_needs_cord_id(config):
    with pytest.raises(ValueError, match="cord_id"):
        app.run(config, config.role("web"), "1.1.1.1")


def test_run_with_everything(make_config):
    config = make_config(
        servers={
            "web": {
                "hosts": ["1.1.1.1", {"1.1.1.2": "tag1"}],
                "options": {"cpus": 2, "add-host": ["a:1.1.1.9", "b:1.1.1.8"], "init": True},
                "logging": {"driver": "json-file", "options": {"max-file": 3}},
                "labels": {"team": "ops"},
                "env": {"clear": {"ROLE_ENV": "web"}, "secret": ["ROLE_SECRET"]},
            }
        },
        env={"clear": {"A": 'say "hi" $HOME'}, "tags": {"tag1": {"TAGGED": "yes"}}},
        volumes=["/data:/data", "cache:/cache"],
        asset_path="/public/assets",
        registry={"server": "registry.example.com", "username": "u", "password": "p"},
    )
    command = app.run(
        config, config.role("web"), "1.1.1.2", cord_id="abc", hostname="1.1.1.2-0a1b2c3d4e5f"
    )
    assert command == (
        "docker run --detach --restart unless-stopped --name app-web-999 "
        "--hostname 1.1.1.2-0a1b2c3d4e5f "
        '-e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-web.env "
        '--env A="say \\"hi\\" \\$HOME" --env ROLE_ENV="web" --env TAGGED="yes" '
        '--health-cmd "(curl -f http://localhost:3000/up || exit 1) && '
        '(stat /tmp/kamal-cord/cord > /dev/null || exit 1)" --health-interval "1s" '
        "--volume $(pwd)/.kamal/cords/app-web-abc:/tmp/kamal-cord "
        '--log-driver "json-file" --log-opt max-file="3" '
        "--volume /data:/data --volume cache:/cache "
        "--volume $(pwd)/.kamal/assets/volumes/app-web-999:/public/assets "
        '--label service="app" --label role="web" --label destination '
        f'{TRAEFIK_LABELS} --label team="ops" '
        '--cpus "2" --add-host "a:1.1.1.9" --add-host "b:1.1.1.8" --init '
        "registry.example.com/dhh/app:999"
    )
    # the untagged host does not get the tag's env
    assert "TAGGED" not in app.run(config, config.role("web"), "1.1.1.1", cord_id="abc")


def test_run_with_destination(make_config):
    config = make_config(destination="staging", servers={"workers": ["1.1.1.3"]})
    assert app.run(config, config.role("workers"), "1.1.1.3") == (
        "docker run --detach --restart unless-stopped --name app-workers-staging-999 "
        '-e KAMAL_CONTAINER_NAME="app-workers-staging-999" -e KAMAL_VERSION="999" '
        "--env-file .kamal/env/roles/app-workers-staging.env "
        '--log-opt max-size="10m" --label service="app" --label role="workers" '
        '--label destination="staging" dhh/app:999'
    )


def test_run_other_version(config):
    command = app.run(config, config.role("workers"), "1.1.1.3", version="123")
    assert "--name app-workers-123 " in command
    assert '-e KAMAL_VERSION="123" ' in command
    assert command.endswith(" dhh/app:123 bin/jobs")


def test_start(config):
    assert app.start(config, config.role("web")) == "docker start app-web-999"
    assert app.start(config, config.role("web"), "123") == "docker start app-web-123"


def test_container_id_for(config):
    assert app.container_id_for("app-web-999") == (
        "docker container ls --all --filter name=^app-web-999$ --quiet"
    )
    assert app.container_id_for("app-web-999", only_running=True) == (
        "docker container ls --filter name=^app-web-999$ --quiet"
    )
    assert app.container_id_for_version(config, config.role("web"), "123") == (
        "docker container ls --all --filter name=^app-web-123$ --quiet"
    )


def test_status(config):
    assert app.status(config, config.role("web")) == (
        "docker container ls --all --filter name=^app-web-999$ --quiet | "
        "xargs docker inspect --format "
        "'{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'"
    )


def test_stop_version(config):
    assert app.stop(config, config.role("web"), "123") == (
        "docker container ls --all --filter name=^app-web-123$ --quiet | xargs docker stop"
    )


def test_stop_with_stop_wait_time(make_config):
    config = make_config(stop_wait_time=30)
    assert app.stop(config, config.role("web"), "123") == (
        "docker container ls --all --filter name=^app-web-123$ --quiet | xargs docker stop -t 30"
    )


def test_stop_current(config):
    assert app.stop(config, config.role("web")) == (
        "docker ps --latest --quiet --filter label=service=app --filter label=role=web "
        "--filter status=running --filter status=restarting | xargs docker stop"
    )


def test_current_running_container_id(config):
    assert app.current_running_container_id(config, config.role("web")) == (
        "docker ps --latest --quiet --filter label=service=app --filter label=role=web "
        "--filter status=running --filter status=restarting"
    )


def test_current_running_container_id_with_destination(make_config):
    config = make_config(destination="staging")
    assert app.current_running_container_id(config, config.role("web")) == (
        "docker ps --latest --quiet --filter label=service=app "
        "--filter label=destination=staging --filter label=role=web "
        "--filter status=running --filter status=restarting"
    )


def test_current_running_version(config):
    assert app.current_running_version(config, config.role("web")) == (
        "docker ps --latest --format '{{.Names}}' --filter label=service=app "
        "--filter label=role=web --filter status=running --filter status=restarting | "
        "while read line; do echo ${line#app-web-}; done"
    )


def test_current_running_version_with_destination(make_config):
    config = make_config(destination="staging")
    assert app.current_running_version(config, config.role("web")).endswith(
        "| while read line; do echo ${line#app-web-staging-}; done"
    )


def test_running_container_names(config):
    # newest first; restarting ones count: deploys and the stale-containers task agree
    assert app.running_container_names(config, config.role("web")) == (
        "docker ps --filter label=service=app --filter label=role=web "
        "--filter status=running --filter status=restarting --format '{{.Names}}'"
    )


def test_list_versions(config):
    assert app.list_versions(config, config.role("web")) == (
        "docker ps --filter label=service=app --filter label=role=web --format '{{.Names}}' | "
        "while read line; do echo ${line#app-web-}; done"
    )
    assert app.list_versions(config, config.role("web"), ["exited"]) == (
        "docker ps --all --filter label=service=app --filter label=role=web "
        "--filter status=exited --format '{{.Names}}' | "
        "while read line; do echo ${line#app-web-}; done"
    )


def test_rename_aside(config):
    new_version = app.replaced_version("999", "0a1b2c")
    assert new_version == "999_replaced_0a1b2c"
    assert app.rename(config, config.role("web"), version="999", new_version=new_version) == (
        "docker rename app-web-999 app-web-999_replaced_0a1b2c"
    )


def test_tag_latest(config, make_config):
    assert app.tag_latest(config) == "docker tag dhh/app:999 dhh/app:latest"
    assert app.tag_latest(config, "123") == "docker tag dhh/app:123 dhh/app:latest"
    registry = make_config(registry={"server": "reg.example.com", "username": "u"})
    assert app.tag_latest(registry) == (
        "docker tag reg.example.com/dhh/app:999 reg.example.com/dhh/app:latest"
    )


def test_logs(config):
    web = config.role("web")
    current = (
        "docker ps --latest --quiet --filter label=service=app --filter label=role=web "
        "--filter status=running --filter status=restarting"
    )
    assert app_exec.logs(config, web) == f"{current} | xargs docker logs --timestamps 2>&1"
    assert app_exec.logs(config, web, since="5m", lines=100, grep="hey 'you'") == (
        f'{current} | xargs docker logs --timestamps --since "5m" --tail 100 2>&1 | '
        "grep \"hey 'you'\""
    )
    assert app_exec.logs(config, web, version="123", grep="x", grep_options="-i", follow=True) == (
        "docker container ls --all --filter name=^app-web-123$ --quiet | "
        'xargs docker logs --timestamps --follow 2>&1 | grep "x" -i'
    )


def test_execute_in_new_container(make_config):
    config = make_config(
        volumes=["/data:/data"],
        env={"clear": {"A": "1"}},
        servers={"web": {"hosts": ["1.1.1.1"], "options": {"memory": "1g"}}},
    )
    web = config.role("web")
    assert app_exec.execute_in_new_container(config, web, "1.1.1.1", "bin/rails db:migrate") == (
        'docker run --rm --env-file .kamal/env/roles/app-web.env --env A="1" '
        '--volume /data:/data --memory "1g" dhh/app:999 bin/rails db:migrate'
    )
    assert app_exec.execute_in_new_container(
        config, web, "1.1.1.1", "bin/rails c", interactive=True, env={"B": "2"}
    ) == (
        'docker run -it --rm --env-file .kamal/env/roles/app-web.env --env A="1" '
        '--env B="2" --volume /data:/data --memory "1g" dhh/app:999 bin/rails c'
    )


def test_execute_in_existing_container(config):
    web = config.role("web")
    assert app_exec.execute_in_existing_container(config, web, "ls -la") == (
        "docker exec app-web-999 ls -la"
    )
    assert app_exec.execute_in_existing_container(
        config, web, "bin/rails c", version="123", interactive=True, env={"A": "b c"}
    ) == ('docker exec -it --env A="b c" app-web-123 bin/rails c')


def test_listing(config, make_config):
    assert app.info(config, config.role("web")) == (
        "docker ps --filter label=service=app --filter label=role=web"
    )
    assert app.containers(config) == "docker container ls --all --filter label=service=app"
    assert app.containers(config, config.role("web")) == (
        "docker container ls --all --filter label=service=app --filter label=role=web"
    )
    staging = make_config(destination="staging")
    assert app.containers(staging, staging.role("web")) == (
        "docker container ls --all --filter label=service=app "
        "--filter label=destination=staging --filter label=role=web"
    )
    assert app.images(config) == "docker image ls dhh/app"


def test_remove(config, make_config):
    web = config.role("web")
    assert app.remove_container(config, web, "123") == (
        "docker container ls --all --filter name=^app-web-123$ --quiet | xargs docker container rm"
    )
    assert app.remove_containers(config, web) == (
        "docker container prune --force --filter label=service=app --filter label=role=web"
    )
    assert app.remove_containers(config) == (
        "docker container prune --force --filter label=service=app"
    )
    staging = make_config(destination="staging")
    assert app.remove_images(staging) == (
        "docker image prune --all --force --filter label=service=app"
    )


NASTY = 'it\'s "quoted" $HOME `id` \\n back\\slash  spaces é 日本 🚀\nline $(id)'


def test_run_values_reach_docker_unchanged(make_config, docker_argv):
    config = make_config(
        env={"clear": {"NASTY": NASTY}},
        labels={"note": NASTY},
        servers={"web": {"hosts": ["1.1.1.1"], "options": {"annotation": NASTY}}},
    )
    command = app.run(config, config.role("web"), "1.1.1.1", cord_id="c0ffee")
    (argv,) = docker_argv(command)
    assert argv[argv.index("--env") + 1] == f"NASTY={NASTY}"
    assert f"note={NASTY}" in argv
    assert argv[argv.index("--annotation") + 1] == NASTY
    assert "traefik.http.routers.app-web.rule=PathPrefix(`/`)" in argv
    assert argv[argv.index("--health-cmd") + 1] == (
        "(curl -f http://localhost:3000/up || exit 1) && "
        "(stat /tmp/kamal-cord/cord > /dev/null || exit 1)"
    )
    volume = argv[argv.index("--health-interval") + 3]
    assert volume.endswith("/.kamal/cords/app-web-c0ffee:/tmp/kamal-cord")
    assert volume.startswith("/")  # $(pwd) expanded by the shell


def test_exec_env_reaches_docker_unchanged(config, docker_argv):
    web = config.role("web")
    command = app_exec.execute_in_existing_container(config, web, "env", env={"X": NASTY})
    assert docker_argv(command) == [["exec", "--env", f"X={NASTY}", "app-web-999", "env"]]


def test_state_prints_state_then_health(make_config):
    config = make_config()
    assert app.state(config, config.role("web")) == (
        "docker container ls --all --filter name=^app-web-999$ --quiet | xargs docker inspect "
        "--format '{{.State.Status}}{{if .State.Health}} {{.State.Health.Status}}{{end}}'"
    )


def test_run_with_an_absolute_run_directory_mounts_it_as_is(make_config):
    config = make_config(servers=ROLES, run_directory="/var/kamal", asset_path="/public/assets")
    command = app.run(config, config.role("web"), "1.1.1.1", cord_id="12345678")
    assert (
        "--volume /var/kamal/cords/app-web-12345678:/tmp/kamal-cord "
        '--log-opt max-size="10m" '
        "--volume /var/kamal/assets/volumes/app-web-999:/public/assets "
    ) in command
    assert "$(pwd)" not in command
    relative = make_config(servers=ROLES, run_directory="state/kamal", asset_path="/p")
    assert "--volume $(pwd)/state/kamal/cords/app-web-1:/tmp/kamal-cord " in app.run(
        relative, relative.role("web"), "1.1.1.1", cord_id="1"
    )
