"""Accessory commands, to the byte."""

from __future__ import annotations

import pytest

from kamal_tasks.commands import accessory

ACCESSORIES = {
    "mysql": {
        "image": "mysql:8.0",
        "host": "1.1.1.5",
        "port": 3306,
        "env": {"clear": {"MYSQL_ROOT_HOST": "%"}, "secret": ["MYSQL_ROOT_PASSWORD"]},
    },
    "redis": {
        "image": "redis:7",
        "roles": ["web"],
        "port": "36379:6379",
        "cmd": "redis-server --appendonly yes",
        "labels": {"cache": True},
        "options": {"cpus": 2, "memory": "1g"},
        "volumes": ["/var/lib/redis:/data"],
        "files": ["config/redis.conf:/usr/local/etc/redis/redis.conf"],
        "directories": ["data:/data2", "/mnt/backup:/backup"],
    },
    "busybox": {"service": "custom-busybox", "image": "busybox:latest", "host": "1.1.1.6"},
}


@pytest.fixture
def config(make_config):
    return make_config(accessories=ACCESSORIES)


def test_run(config):
    assert accessory.run(config, config.accessory("mysql")) == (
        "docker run --name app-mysql --detach --restart unless-stopped "
        '--log-opt max-size="10m" --publish 3306:3306 '
        "--env-file .kamal/env/accessories/app-mysql.env "
        '--env MYSQL_ROOT_HOST="%" --label service="app-mysql" mysql:8.0'
    )


def test_run_with_everything(config):
    redis = config.accessory("redis")
    assert redis.hosts == ["1.1.1.1", "1.1.1.2"]
    assert accessory.run(config, redis) == (
        "docker run --name app-redis --detach --restart unless-stopped "
        '--log-opt max-size="10m" --publish 36379:6379 '
        "--env-file .kamal/env/accessories/app-redis.env "
        "--volume /var/lib/redis:/data "
        "--volume $PWD/app-redis/usr/local/etc/redis/redis.conf:/usr/local/etc/redis/redis.conf "
        "--volume $PWD/app-redis/data:/data2 --volume /mnt/backup:/backup "
        '--label service="app-redis" --label cache="true" '
        '--cpus "2" --memory "1g" redis:7 redis-server --appendonly yes'
    )


def test_run_custom_service_and_logging(make_config):
    config = make_config(accessories=ACCESSORIES, logging={"driver": "local"})
    assert accessory.run(config, config.accessory("busybox")) == (
        "docker run --name custom-busybox --detach --restart unless-stopped "
        '--log-driver "local" '
        "--env-file .kamal/env/accessories/custom-busybox.env "
        '--label service="custom-busybox" busybox:latest'
    )


def test_files_and_directories(config):
    redis = config.accessory("redis")
    assert accessory.files(redis) == {
        "config/redis.conf": "app-redis/usr/local/etc/redis/redis.conf"
    }
    assert accessory.directories(redis) == {
        "$PWD/app-redis/data": "/data2",
        "/mnt/backup": "/backup",
    }
    assert accessory.make_directories(redis) == "mkdir -p $PWD/app-redis/data /mnt/backup"
    assert accessory.make_directories(config.accessory("mysql")) == ""
    assert accessory.make_file_directory("app-redis/usr/local/etc/redis/redis.conf") == (
        "mkdir -p app-redis/usr/local/etc/redis"
    )
    assert accessory.chmod_file("app-redis/usr/local/etc/redis/redis.conf") == (
        "chmod 755 app-redis/usr/local/etc/redis/redis.conf"
    )
    assert accessory.remove_service_directory(redis) == "rm -rf app-redis"


def test_start_stop_info(config):
    mysql = config.accessory("mysql")
    assert accessory.start(mysql) == "docker container start app-mysql"
    assert accessory.stop(mysql) == "docker container stop app-mysql"
    assert accessory.info(mysql) == "docker ps --filter label=service=app-mysql"


def test_logs(config):
    mysql = config.accessory("mysql")
    assert accessory.logs(mysql) == "docker logs app-mysql --timestamps 2>&1"
    assert accessory.logs(mysql, since="5m", lines=100, grep="ERROR") == (
        'docker logs app-mysql --since "5m" --tail 100 --timestamps 2>&1 | grep "ERROR"'
    )
    assert accessory.logs(mysql, follow=True) == (
        "docker logs app-mysql --timestamps --follow 2>&1"
    )


def test_exec(config):
    mysql = config.accessory("mysql")
    assert accessory.execute_in_existing_container(mysql, "mysql -u root") == (
        "docker exec app-mysql mysql -u root"
    )
    assert accessory.execute_in_existing_container(mysql, "bash", interactive=True) == (
        "docker exec -it app-mysql bash"
    )
    assert accessory.execute_in_new_container(config, mysql, "mysql --version") == (
        "docker run --rm --env-file .kamal/env/accessories/app-mysql.env "
        '--env MYSQL_ROOT_HOST="%" mysql:8.0 mysql --version'
    )
    redis = config.accessory("redis")
    assert accessory.execute_in_new_container(config, redis, "sh", interactive=True) == (
        "docker run -it --rm --env-file .kamal/env/accessories/app-redis.env "
        "--volume /var/lib/redis:/data "
        "--volume $PWD/app-redis/usr/local/etc/redis/redis.conf:/usr/local/etc/redis/redis.conf "
        "--volume $PWD/app-redis/data:/data2 --volume /mnt/backup:/backup redis:7 sh"
    )


def test_remove(config):
    mysql = config.accessory("mysql")
    assert accessory.remove_container(mysql) == (
        "docker container prune --force --filter label=service=app-mysql"
    )
    assert accessory.remove_image(mysql) == "docker image rm --force mysql:8.0"


def test_env_reaches_docker_unchanged(make_config, docker_argv):
    value = 'it\'s "q" $HOME `id` é %'
    config = make_config(accessories={"db": {"image": "pg", "host": "h", "env": {"V": value}}})
    (argv,) = docker_argv(accessory.run(config, config.accessory("db")))
    assert argv[argv.index("--env") + 1] == f"V={value}"
