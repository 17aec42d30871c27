"""Hostile values in every builder group, to the byte: each value is one quoted word (plain
ones stay bare), command lines are split into quoted words, and ``$(pwd)``/``$PWD`` stay
live only where the builder put them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kamal_tasks.commands import (
    accessory,
    app,
    app_exec,
    assets,
    auditor,
    builder,
    env_files,
    lock,
    prune,
    registry,
    server,
    traefik,
)
from kamal_tasks.commands.base import BadCommandLine
from kamal_tasks.configuration import Config

# Built directly: validation would refuse some of these (the accessory service "db *"), the
# builders must still quote them.
RAW: dict[str, Any] = {
    "service": "app",
    "image": "my app$(id)",
    "servers": {
        "web": {
            "hosts": ["1.1.1.1"],
            "cmd": "bin/run --name 'a b' ; rm *",
            "options": {"cap-add; id": "X", "init": True},
            "labels": {"k e`y`": "v"},
            "env": {"clear": {"A B": "v$"}},
            "asset_path": "/my assets",
        }
    },
    "registry": {"server": "reg:5000/x y", "username": "u'ser", "password": "p"},
    "volumes": ["/srv/my data:/data"],
    "run_directory": "my dir",
    "healthcheck": {"path": "/up?x=1&y=2"},
    "logging": {"options": {"max size": "1 0m"}},
    "builder": {
        "multiarch": False,
        "context": "my ctx",
        "dockerfile": "Docker file",
        "target": "t;x",
        "secrets": ["A B"],
        "args": {"K;": "v"},
    },
    "traefik": {
        "image": "traefik:v2 ; id",
        "args": {"entrypoints.web.address": ":80", "x;y": None},
        "options": {"a b": "c"},
        "labels": {"l l": "v"},
    },
    "accessories": {
        "db": {
            "service": "db *",
            "image": "my sql",
            "host": "1.1.1.3",
            "port": "33 06",
            "cmd": "mysqld $(id)",
            "files": ["config/my.cnf:/etc/my cnf"],
            "directories": ["my data:/var/lib/mysql", "/abs dir:/x"],
            "volumes": ["/srv/b k:/backup"],
            "options": {"mem ory": "2g"},
            "labels": {"a l": "x"},
        }
    },
}
IMAGE = "'reg:5000/x y/my app$(id):v1'"
AT = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def config() -> Config:
    return Config(RAW, version="v1")


def test_app_run(config: Config) -> None:
    assert app.run(config, config.role("web"), "1.1.1.1", cord_id="ab") == (
        "docker run --detach --restart unless-stopped --name app-web-v1 "
        '-e KAMAL_CONTAINER_NAME="app-web-v1" -e KAMAL_VERSION="v1" '
        "--env-file 'my dir/env/roles/app-web.env' --env 'A B'=\"v\\$\" "
        "--health-cmd \"(curl -f 'http://localhost:3000/up?x=1&y=2' || exit 1) && "
        '(stat /tmp/kamal-cord/cord > /dev/null || exit 1)" --health-interval "1s" '
        "--volume $(pwd)/'my dir/cords/app-web-ab:/tmp/kamal-cord' "
        "--log-opt 'max size'=\"1 0m\" --volume '/srv/my data:/data' "
        "--volume $(pwd)/'my dir/assets/volumes/app-web-v1:/my assets' "
        '--label service="app" --label role="web" --label destination '
        '--label traefik.http.services.app-web.loadbalancer.server.scheme="http" '
        '--label traefik.http.routers.app-web.rule="PathPrefix(\\`/\\`)" '
        '--label traefik.http.routers.app-web.priority="2" '
        '--label traefik.http.middlewares.app-web-retry.retry.attempts="5" '
        '--label traefik.http.middlewares.app-web-retry.retry.initialinterval="500ms" '
        '--label traefik.http.routers.app-web.middlewares="app-web-retry@docker" '
        "--label 'k e`y`'=\"v\" '--cap-add; id' \"X\" --init "
        f"{IMAGE} bin/run --name 'a b' ';' rm '*'"
    )


def test_app_exec_and_logs(config: Config) -> None:
    web = config.role("web")
    assert app_exec.execute_in_new_container(config, web, "1.1.1.1", "echo $(id) 'a b'") == (
        "docker run --rm --env-file 'my dir/env/roles/app-web.env' --env 'A B'=\"v\\$\" "
        "--volume '/srv/my data:/data' '--cap-add; id' \"X\" --init "
        f"{IMAGE} echo '$(id)' 'a b'"
    )
    existing = app_exec.execute_in_existing_container(config, web, "ls; rm -rf /", env={"X Y": "1"})
    assert existing == ("docker exec --env 'X Y'=\"1\" app-web-v1 'ls;' rm -rf /")
    assert app_exec.logs(config, web, since="5m; id", grep="a'b", grep_options="-C 2 ;id") == (
        "docker ps --latest --quiet --filter label=service=app --filter label=role=web "
        "--filter status=running --filter status=restarting | "
        'xargs docker logs --timestamps --since "5m; id" 2>&1 | grep "a\'b" -C 2 \';id\''
    )
    assert app.images(config) == "docker image ls 'reg:5000/x y/my app$(id)'"
    assert app.tag_latest(config) == (f"docker tag {IMAGE} 'reg:5000/x y/my app$(id):latest'")
    assert app.stop(config, web, "v1; id") == (
        "docker container ls --all --filter name=^'app-web-v1; id'$ --quiet | xargs docker stop"
    )


def test_exec_command_with_an_open_quote_is_an_error(config: Config) -> None:
    with pytest.raises(BadCommandLine, match="can't split \"echo 'x\" into words"):
        app_exec.execute_in_existing_container(config, config.role("web"), "echo 'x")


def test_accessory(config: Config) -> None:
    db = config.accessory("db")
    assert accessory.run(config, db) == (
        "docker run --name 'db *' --detach --restart unless-stopped "
        "--log-opt 'max size'=\"1 0m\" --publish '33 06:33 06' "
        "--env-file 'my dir/env/accessories/db *.env' --volume '/srv/b k:/backup' "
        "--volume $PWD/'db */etc/my cnf:/etc/my cnf' "
        "--volume $PWD/'db */my data':/var/lib/mysql --volume '/abs dir:/x' "
        "--label service=\"db *\" --label 'a l'=\"x\" '--mem ory' \"2g\" 'my sql' mysqld '$(id)'"
    )
    assert accessory.remove_service_directory(db) == "rm -rf 'db *'"
    assert accessory.make_directories(db) == "mkdir -p $PWD/'db */my data' '/abs dir'"
    (remote,) = accessory.files(db).values()
    assert accessory.make_file_directory(remote) == "mkdir -p 'db */etc'"
    assert accessory.chmod_file(remote) == "chmod 755 'db */etc/my cnf'"
    assert accessory.info(db) == "docker ps --filter 'label=service=db *'"
    assert accessory.remove_container(db) == (
        "docker container prune --force --filter 'label=service=db *'"
    )
    assert accessory.remove_image(db) == "docker image rm --force 'my sql'"
    assert accessory.execute_in_existing_container(db, "mysql -e 'select 1'") == (
        "docker exec 'db *' mysql -e 'select 1'"
    )
    assert accessory.logs(db, grep="x") == "docker logs 'db *' --timestamps 2>&1 | grep \"x\""


def test_traefik(config: Config) -> None:
    assert traefik.run(config) == (
        "docker run --name traefik --detach --restart unless-stopped --publish 80:80 "
        "--volume /var/run/docker.sock:/var/run/docker.sock "
        "--env-file 'my dir/env/traefik/traefik.env' --log-opt 'max size'=\"1 0m\" "
        '--label traefik.http.routers.catchall.entryPoints="http" '
        '--label traefik.http.routers.catchall.rule="PathPrefix(\\`/\\`)" '
        '--label traefik.http.routers.catchall.service="unavailable" '
        '--label traefik.http.routers.catchall.priority="1" '
        '--label traefik.http.services.unavailable.loadbalancer.server.port="0" '
        "--label 'l l'=\"v\" '--a b' \"c\" 'traefik:v2 ; id' "
        '--providers.docker --log.level="DEBUG" --entrypoints.web.address=":80" \'--x;y\''
    )


def test_builder(config: Config) -> None:
    assert builder.push(config) == (
        f"docker build -t {IMAGE} -t 'reg:5000/x y/my app$(id):latest' "
        '--label service="app" --build-arg \'K;\'="v" --secret id="A B" '
        f"--file 'Docker file' --target 't;x' 'my ctx' && docker push {IMAGE} && "
        "docker push 'reg:5000/x y/my app$(id):latest'"
    )
    assert builder.pull(config) == f"docker pull {IMAGE}"
    assert builder.validate_image(config) == (
        f"docker inspect -f '{{{{ .Config.Labels.service }}}}' {IMAGE} | grep -x app || "
        "(echo \"Image reg:5000/x y/my app\\$(id):v1 is missing the 'service' label\" && exit 1)"
    )


def test_builder_remote_hosts(config: Config) -> None:
    raw = {**RAW, "builder": {"remote": {"arch": "arm 64", "host": "ssh://h'; id"}}}
    remote = Config(raw, version="v1")
    assert builder.create(remote) == (
        "docker context create 'kamal-app-native-remote-arm 64' "
        "--description 'kamal-app-native-remote arm 64 native host' "
        "--docker 'host=ssh://h'\\''; id' ; docker buildx create --name kamal-app-native-remote "
        "'kamal-app-native-remote-arm 64' --platform 'linux/arm 64'"
    )


def test_lock_auditor_and_paths(config: Config) -> None:
    assert lock.ensure_locks_directory(config) == "mkdir -p 'my dir/locks'"
    assert lock.acquire(config, "x") == (
        "mkdir 'my dir/locks/app' && (echo \"eA==\" > 'my dir/locks/app/details' "
        "|| (rm -rf 'my dir/locks/app' ; false))"
    )
    assert lock.status(config) == (
        "stat 'my dir/locks/app' > /dev/null && cat 'my dir/locks/app/details' | base64 -d"
    )
    assert lock.release(config) == ("rm 'my dir/locks/app/details' && rm -r 'my dir/locks/app'")
    assert auditor.record(config, "it's $(id)", performer="a b", at=AT) == (
        "mkdir -p 'my dir' && "
        "echo '[2024-01-01T00:00:00Z] [a b] \"it'\\''s $(id)\"' >> 'my dir/app-audit.log'"
    )
    assert auditor.reveal(config) == "tail -n 50 'my dir/app-audit.log'"
    assert server.make_run_directory(config) == "mkdir -p 'my dir'"
    path = env_files.role_env_file(config, config.role("web"))
    assert env_files.write(path) == (
        "mkdir -p 'my dir/env/roles' && rm -f 'my dir/env/roles/app-web.env.tmp' && "
        "(umask 0277 && cat > 'my dir/env/roles/app-web.env.tmp') && "
        "mv -f 'my dir/env/roles/app-web.env.tmp' 'my dir/env/roles/app-web.env'"
    )
    assert env_files.exists(path) == "test -f 'my dir/env/roles/app-web.env'"
    assert env_files.make_env_directory(path) == "mkdir -p 'my dir/env/roles'"


def test_prune_and_registry(config: Config) -> None:
    assert prune.tagged_images(config) == (
        "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}' "
        "| grep -v -w \"$(docker container ls -a --format '{{.Image}}\\|' "
        "--filter label=service=app | tr -d '\\n')"
        'reg:5000/x y/my app\\$(id):latest\\|reg:5000/x y/my app\\$(id):<none>" '
        "| while read image tag; do docker rmi $tag; done"
    )
    assert registry.login(config) == ("docker login 'reg:5000/x y' -u \"u'ser\" --password-stdin")
    assert registry.logout(config) == "docker logout 'reg:5000/x y'"


def test_assets(config: Config) -> None:
    web = config.role("web")
    assert assets.extract(config, web) == (
        "mkdir -p 'my dir/assets/extracted/app-web-v1' && "
        "docker stop -t 1 app-web-assets 2> /dev/null || true && "
        f"docker run --name app-web-assets --detach --rm {IMAGE} sleep 1000000 && "
        "docker cp -L 'app-web-assets:/my assets/.' 'my dir/assets/extracted/app-web-v1' && "
        "docker stop -t 1 app-web-assets"
    )
    assert assets.sync_volumes(config, web, old_version="v0") == (
        "mkdir -p 'my dir/assets/volumes/app-web-v1' ; "
        "cp -rnT 'my dir/assets/extracted/app-web-v1' 'my dir/assets/volumes/app-web-v1' ; "
        "cp -rnT 'my dir/assets/extracted/app-web-v1' 'my dir/assets/volumes/app-web-v0' "
        "|| true ; "
        "cp -rnT 'my dir/assets/extracted/app-web-v0' 'my dir/assets/volumes/app-web-v1' || true"
    )
    assert assets.clean_up(config, web) == (
        "find 'my dir/assets/extracted' -maxdepth 1 -name 'app-web-*' ! -name app-web-v1 "
        '-exec rm -rf "{}" + ; '
        "find 'my dir/assets/volumes' -maxdepth 1 -name 'app-web-*' ! -name app-web-v1 "
        '-exec rm -rf "{}" +'
    )


def test_remote_output_is_quoted_too(config: Config) -> None:
    """Versions and directories read back from the hosts go in as values."""
    web = config.role("web")
    from kamal_tasks.commands import cord

    assert cord.cut("/root/x; rm -rf /") == "rm -r '/root/x; rm -rf /'"
    assert app.rename(config, web, version="v1", new_version="v1_replaced_$(id)") == (
        "docker rename app-web-v1 'app-web-v1_replaced_$(id)'"
    )
