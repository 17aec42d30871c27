"""Configuration objects: derived attributes, selection, roles, env, sections, loading, version."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kamal_tasks.configuration import Config, UnknownAccessory
from kamal_tasks.configuration.accessory import Accessory
from kamal_tasks.configuration.boot import Boot
from kamal_tasks.configuration.builder import Builder
from kamal_tasks.configuration.env import Env, tag_envs
from kamal_tasks.configuration.healthcheck import Healthcheck
from kamal_tasks.configuration.loader import deep_merge, destination_path, load_raw, read_yaml
from kamal_tasks.configuration.logging import Logging
from kamal_tasks.configuration.redaction import redacted
from kamal_tasks.configuration.registry import Registry
from kamal_tasks.configuration.role import TaggedHost, merge_hosts, parse_host, role_specs
from kamal_tasks.configuration.ssh import Ssh
from kamal_tasks.configuration.sshkit import Sshkit
from kamal_tasks.configuration.traefik import Traefik
from kamal_tasks.configuration.version import app_version
from kamal_tasks.errors import ConfigurationError, KamalError, MissingSecret, NoMatch

MINIMAL = """
service: app
image: dhh/app
servers:
  - 1.1.1.1
  - 1.1.1.2
registry:
  username: user
  password:
    - KAMAL_REGISTRY_PASSWORD
"""

ROLES = """
service: app
image: dhh/app
servers:
  web:
    - 1.1.1.1
    - 1.1.1.2
  workers:
    hosts:
      - 1.1.1.3
      - 1.1.1.2
    cmd: bin/jobs
    env:
      clear:
        QUEUES: default
      secret:
        - WORKER_TOKEN
    labels:
      my-label: workers
  api:
    hosts:
      - 2.2.2.1
    traefik: true
registry:
  server: registry.example.com
  username: user
  password: secret
env:
  clear:
    RAILS_ENV: production
    QUEUES: none
  secret:
    - RAILS_MASTER_KEY
labels:
  my-label: root
  other: root
"""

SEED_TAGS = """
service: app
image: dhh/app
servers:
  - 1.1.1.1
  - 1.1.1.2: tag1
  - 1.1.1.2: tag2
  - 1.1.1.3: [tag1, tag2]
env:
  BASE: base
env_tags:
  tag1:
    ENV1: value1
  tag2:
    clear:
      ENV2: value2
    secret:
      - TAG2_SECRET
registry:
  username: user
  password: pw
"""


def config(text: str = MINIMAL, **kwargs: Any) -> Config:
    return Config(yaml.safe_load(text), version=kwargs.pop("version", "v1"), **kwargs)


# --- derived attributes -------------------------------------------------------------------


def test_identity_without_registry_server_or_destination() -> None:
    c = config()
    assert c.service == "app"
    assert c.image == "dhh/app"
    assert c.repository == "dhh/app"
    assert c.absolute_image == "dhh/app:v1"
    assert c.latest_image == "dhh/app:latest"
    assert c.service_with_version == "app-v1"
    assert c.service_and_destination == "app"
    assert c.lock_dir == ".kamal/locks/app"
    assert c.audit_log == ".kamal/app-audit.log"
    assert c.traefik_env_file == ".kamal/env/traefik/traefik.env"


def test_identity_with_registry_server_and_destination() -> None:
    c = config(ROLES, destination="staging", version="abc123")
    assert c.repository == "registry.example.com/dhh/app"
    assert c.absolute_image == "registry.example.com/dhh/app:abc123"
    assert c.latest_image == "registry.example.com/dhh/app:latest"
    assert c.service_and_destination == "app-staging"
    assert c.lock_dir == ".kamal/locks/app-staging"
    assert c.audit_log == ".kamal/app-staging-audit.log"


def test_settings_defaults_are_kamals() -> None:
    c = config()
    assert c.primary_role_name == "web"
    assert c.run_directory == ".kamal"
    assert c.hooks_path == ".kamal/hooks"
    assert c.retain_containers == 5
    assert c.readiness_delay == 7.0
    assert c.stop_wait_time is None
    assert c.volumes == []
    assert c.accessories == {}


def test_settings_given_explicitly() -> None:
    raw = yaml.safe_load(MINIMAL)
    raw.update(
        run_directory="/var/kamal",
        hooks_path="bin/hooks",
        retain_containers=2,
        readiness_delay=3,
        stop_wait_time=20,
        volumes=["/data:/data"],
    )
    c = Config(raw, version="v1")
    assert c.run_directory == "/var/kamal"
    assert c.lock_dir == "/var/kamal/locks/app"
    assert c.run_path("cords/x") == "/var/kamal/cords/x"
    assert c.hooks_path == "bin/hooks"
    assert c.retain_containers == 2
    assert c.readiness_delay == 3.0
    assert c.stop_wait_time == 20
    assert c.volumes == ["/data:/data"]


# --- roles and hosts ------------------------------------------------------------------------


def test_plain_host_list_is_the_web_role() -> None:
    c = config()
    assert [role.name for role in c.roles] == ["web"]
    assert c.primary_role.name == "web"
    assert c.primary_role.primary is True
    assert c.hosts == ["1.1.1.1", "1.1.1.2"]
    assert c.primary_host == "1.1.1.1"
    assert c.traefik_hosts == ["1.1.1.1", "1.1.1.2"]


def test_roles_hosts_and_traefik_hosts() -> None:
    c = config(ROLES)
    assert [role.name for role in c.roles] == ["web", "workers", "api"]
    assert c.role("workers").host_names == ["1.1.1.3", "1.1.1.2"]
    assert c.hosts == ["1.1.1.1", "1.1.1.2", "1.1.1.3", "2.2.2.1"]
    assert [role.name for role in c.roles_on("1.1.1.2")] == ["web", "workers"]
    assert c.traefik_hosts == ["1.1.1.1", "1.1.1.2", "2.2.2.1"]
    assert c.role("web").running_traefik is True
    assert c.role("workers").running_traefik is False
    assert c.role("api").running_traefik is True
    assert c.role("workers").cmd == "bin/jobs"
    assert c.role("web").cmd is None


def test_primary_role_comes_first_and_owns_the_primary_host() -> None:
    raw = yaml.safe_load(ROLES)
    raw["primary_role"] = "workers"
    c = Config(raw, version="v1")
    assert [role.name for role in c.roles] == ["workers", "web", "api"]
    assert c.primary_host == "1.1.1.3"
    assert c.role("workers").running_traefik is True
    assert c.role("web").running_traefik is False


def test_role_specs_split_hosts_from_settings() -> None:
    specs = role_specs({"web": ["a"], "jobs": {"hosts": ["b"], "cmd": "run"}, "empty": None})
    assert specs == {"web": (["a"], {}), "jobs": (["b"], {"cmd": "run"}), "empty": ([], {})}
    assert role_specs(["a", "b"]) == {"web": (["a", "b"], {})}


# --- select -------------------------------------------------------------------------------


def test_select_hosts_comma_list() -> None:
    c = config(ROLES).select(hosts="1.1.1.3, 2.2.2.1")
    assert c.hosts == ["1.1.1.3", "2.2.2.1"]
    assert [role.name for role in c.roles] == ["workers", "api"]
    assert c.traefik_hosts == ["2.2.2.1"]


def test_select_hosts_wildcard() -> None:
    c = config(ROLES).select(hosts="1.1.1.*")
    assert c.hosts == ["1.1.1.1", "1.1.1.2", "1.1.1.3"]


def test_select_roles_wildcard() -> None:
    c = config(ROLES).select(roles="w*")
    assert [role.name for role in c.roles] == ["web", "workers"]
    assert c.hosts == ["1.1.1.1", "1.1.1.2", "1.1.1.3"]


def test_select_roles_and_hosts_intersect() -> None:
    c = config(ROLES).select(hosts="1.1.1.2", roles="workers")
    assert [role.name for role in c.roles] == ["workers"]
    assert c.hosts == ["1.1.1.2"]
    assert c.role_hosts(c.role("web")) == ["1.1.1.2"]


def test_select_primary_only() -> None:
    c = config(ROLES).select(primary=True)
    assert c.hosts == ["1.1.1.1"]
    assert [role.name for role in c.roles] == ["web"]


def test_select_keeps_version_and_destination() -> None:
    c = config(ROLES, destination="staging", version="v7").select(roles="api")
    assert c.version == "v7"
    assert c.destination == "staging"
    assert c.role("api").container_name(c.version) == "app-api-staging-v7"


def test_select_no_host_match() -> None:
    with pytest.raises(NoMatch) as raised:
        config(ROLES).select(hosts="9.9.9.9,8.8.*")
    assert str(raised.value) == "No --hosts match for 9.9.9.9,8.8.*"


def test_select_no_role_match() -> None:
    with pytest.raises(NoMatch) as raised:
        config(ROLES).select(roles="db*")
    assert str(raised.value) == "No --roles match for db*"


def test_select_nothing_selects_everything() -> None:
    c = config(ROLES).select()
    assert c.hosts == config(ROLES).hosts


# --- hosts with tags ----------------------------------------------------------------------


def test_parse_host_forms() -> None:
    assert parse_host("1.1.1.1") == TaggedHost("1.1.1.1")
    assert parse_host({"1.1.1.2": "tag1"}) == TaggedHost("1.1.1.2", ("tag1",))
    assert parse_host({"1.1.1.3": ["tag1", "tag2"]}) == TaggedHost("1.1.1.3", ("tag1", "tag2"))


def test_merge_hosts_gathers_tags_of_repeated_hosts() -> None:
    hosts = merge_hosts(
        ["1.1.1.1", {"1.1.1.2": "tag1"}, {"1.1.1.2": "tag2"}, {"1.1.1.3": ["tag1", "tag2"]}]
    )
    assert hosts == [
        TaggedHost("1.1.1.1"),
        TaggedHost("1.1.1.2", ("tag1", "tag2")),
        TaggedHost("1.1.1.3", ("tag1", "tag2")),
    ]


def test_seed_tag_example_envs_per_host() -> None:
    web = config(SEED_TAGS).role("web")
    assert web.host_names == ["1.1.1.1", "1.1.1.2", "1.1.1.3"]
    assert web.host_tags("1.1.1.1") == ()
    assert web.env("1.1.1.1") == Env({"BASE": "base"})
    assert web.env("1.1.1.2") == Env(
        {"BASE": "base", "ENV1": "value1", "ENV2": "value2"}, ("TAG2_SECRET",)
    )
    assert web.env("1.1.1.3") == web.env("1.1.1.2")


# --- role env, labels, names --------------------------------------------------------------


def test_role_env_is_root_then_role() -> None:
    c = config(ROLES)
    assert c.role("web").env("1.1.1.1") == Env(
        {"RAILS_ENV": "production", "QUEUES": "none"}, ("RAILS_MASTER_KEY",)
    )
    assert c.role("workers").env("1.1.1.3") == Env(
        {"RAILS_ENV": "production", "QUEUES": "default"}, ("RAILS_MASTER_KEY", "WORKER_TOKEN")
    )


def test_role_env_tags_from_env_tags_key_win_over_role_env() -> None:
    raw = yaml.safe_load(ROLES)
    raw["servers"]["workers"]["hosts"] = [{"1.1.1.3": "dc1"}]
    raw["env"]["tags"] = {"dc1": {"QUEUES": "dc1-queue", "DC": "1"}}
    workers = Config(raw, version="v1").role("workers")
    assert workers.env("1.1.1.3") == Env(
        {"RAILS_ENV": "production", "QUEUES": "dc1-queue", "DC": "1"},
        ("RAILS_MASTER_KEY", "WORKER_TOKEN"),
    )


def test_container_names_with_and_without_destination() -> None:
    web = config(ROLES).role("web")
    assert web.container_prefix == "app-web"
    assert web.container_name("v1") == "app-web-v1"
    assert web.env_file == "env/roles/app-web.env"
    staged = config(ROLES, destination="staging").role("workers")
    assert staged.container_prefix == "app-workers-staging"
    assert staged.container_name("v2") == "app-workers-staging-v2"
    assert staged.env_file == "env/roles/app-workers-staging.env"


def test_labels_of_a_traefik_role() -> None:
    web = config(ROLES, destination="staging").role("web")
    assert web.labels() == {
        "service": "app",
        "role": "web",
        "destination": "staging",
        "traefik.http.services.app-web-staging.loadbalancer.server.scheme": "http",
        "traefik.http.routers.app-web-staging.rule": "PathPrefix(`/`)",
        "traefik.http.routers.app-web-staging.priority": "2",
        "traefik.http.middlewares.app-web-staging-retry.retry.attempts": "5",
        "traefik.http.middlewares.app-web-staging-retry.retry.initialinterval": "500ms",
        "traefik.http.routers.app-web-staging.middlewares": "app-web-staging-retry@docker",
        "my-label": "root",
        "other": "root",
    }


def test_labels_of_a_non_traefik_role_with_custom_labels() -> None:
    workers = config(ROLES).role("workers")
    assert workers.labels() == {
        "service": "app",
        "role": "workers",
        "destination": None,
        "my-label": "workers",
        "other": "root",
    }


# --- healthcheck and logging --------------------------------------------------------------


def test_healthcheck_defaults() -> None:
    web = config().role("web")
    assert web.healthcheck == Healthcheck()
    assert web.healthcheck.command == "curl -f http://localhost:3000/up || exit 1"
    assert web.healthcheck.cord == "/tmp/kamal-cord"
    assert web.healthcheck.max_attempts == 7
    assert web.healthcheck.interval == "1s"
    assert web.has_healthcheck is True
    assert web.uses_cord is True


@pytest.mark.parametrize(
    ("port", "path", "url"),
    [
        (3000, "/up", "http://localhost:3000/up"),
        # Kamal builds it with Ruby's URI.join, which leaves out http's default port
        (80, "/health", "http://localhost/health"),
        ("80", "/health", "http://localhost/health"),
        (80, "/", "http://localhost/"),
        # ... and the scheme is always http, so 443 stays
        (443, "/health", "http://localhost:443/health"),
        (4000, "healthz", "http://localhost:4000/healthz"),
        # a URL with shell-special characters is quoted as one word
        (8080, "/up?full=1", "'http://localhost:8080/up?full=1'"),
    ],
)
def test_health_command_url_is_kamals_uri_join(port: object, path: str, url: str) -> None:
    raw = yaml.safe_load(MINIMAL)
    raw["healthcheck"] = {"port": port, "path": path}
    web = Config(raw, version="v1").role("web")
    assert web.healthcheck.command == f"curl -f {url} || exit 1"


def test_role_healthcheck_merges_over_root() -> None:
    raw = yaml.safe_load(ROLES)
    raw["healthcheck"] = {"path": "/health", "port": 4000, "max_attempts": 3}
    raw["servers"]["workers"]["healthcheck"] = {"cmd": "bin/check", "max_attempts": 9}
    c = Config(raw, version="v1")
    assert c.healthcheck.command == "curl -f http://localhost:4000/health || exit 1"
    assert c.role("web").healthcheck.command == "curl -f http://localhost:4000/health || exit 1"
    workers = c.role("workers")
    assert workers.healthcheck == Healthcheck(
        path="/health", port=4000, max_attempts=9, cmd="bin/check"
    )
    assert workers.healthcheck.command == "bin/check"
    assert workers.custom_healthcheck is True
    assert workers.has_healthcheck is True
    assert workers.uses_cord is False


def test_cord_false_disables_the_cord() -> None:
    raw = yaml.safe_load(MINIMAL)
    raw["healthcheck"] = {"cord": False}
    web = Config(raw, version="v1").role("web")
    assert web.healthcheck.cord is None
    assert web.uses_cord is False
    assert web.has_healthcheck is True


def test_worker_without_healthcheck() -> None:
    workers = config(ROLES).role("workers")
    # ROLES' workers role has no healthcheck of its own
    assert workers.custom_healthcheck is False
    assert workers.has_healthcheck is False


def test_logging_default_and_role_merge() -> None:
    assert config().logging == Logging(None, {"max-size": "10m"})
    assert config().role("web").logging == Logging(None, {"max-size": "10m"})
    raw = yaml.safe_load(ROLES)
    raw["logging"] = {"driver": "json-file", "options": {"max-size": "100m", "max-file": "3"}}
    raw["servers"]["workers"]["logging"] = {"options": {"max-size": "5m"}}
    c = Config(raw, version="v1")
    assert c.logging == Logging("json-file", {"max-size": "100m", "max-file": "3"})
    assert c.role("web").logging == c.logging
    assert c.role("workers").logging == Logging("json-file", {"max-size": "5m", "max-file": "3"})


def test_logging_driver_alone_drops_the_default_option() -> None:
    assert Logging.from_raw({"driver": "syslog"}) == Logging("syslog", {})


# --- env ------------------------------------------------------------------------------------


def test_env_from_raw_forms() -> None:
    assert Env.from_raw(None) == Env()
    assert Env.from_raw({"A": 1, "B": True, "C": "c"}) == Env({"A": "1", "B": "true", "C": "c"})
    assert Env.from_raw({"clear": {"A": "a"}, "secret": ["S"]}) == Env({"A": "a"}, ("S",))
    assert Env.from_raw({"secret": ["S", "T"]}) == Env({}, ("S", "T"))
    assert Env.from_raw({"A": "a", "tags": {"t": {"B": "b"}}}) == Env({"A": "a"})


def test_env_merge_other_wins_and_secrets_are_unique() -> None:
    merged = Env({"A": "1", "B": "1"}, ("S", "T")).merge(Env({"B": "2", "C": "2"}, ("T", "U")))
    assert merged == Env({"A": "1", "B": "2", "C": "2"}, ("S", "T", "U"))


def test_env_secrets_resolve_and_missing() -> None:
    env = Env({}, ("S", "T"))
    assert env.secrets({"S": "s", "T": "t", "X": "x"}) == {"S": "s", "T": "t"}
    with pytest.raises(MissingSecret) as raised:
        env.secrets({"S": "s"})
    assert str(raised.value) == "Secret T is not set (add it to .kamal/.env or the environment)"


def test_tag_envs_reads_both_forms() -> None:
    raw = {
        "env": {"clear": {"A": "a"}, "tags": {"t1": {"X": "1"}, "t2": {"Y": "2"}}},
        "env_tags": {"t2": {"secret": ["Z"]}, "t3": {"W": "3"}},
    }
    assert tag_envs(raw) == {
        "t1": Env({"X": "1"}),
        "t2": Env({}, ("Z",)),
        "t3": Env({"W": "3"}),
    }
    assert tag_envs({"env": {"A": "a"}}) == {}
    assert tag_envs({}) == {}


# --- sections -----------------------------------------------------------------------------


def test_ssh_defaults_and_proxy_user() -> None:
    assert Ssh.from_raw({}) == Ssh(
        user="root", port=22, proxy=None, proxy_command=None, keys_only=False, log_level="fatal"
    )
    ssh = Ssh.from_raw({"ssh": {"user": "app", "port": "2222", "proxy": "jump.example.com"}})
    assert (ssh.user, ssh.port, ssh.proxy) == ("app", 2222, "root@jump.example.com")
    assert Ssh.from_raw({"ssh": {"proxy": "deploy@jump"}}).proxy == "deploy@jump"


def test_sshkit_defaults() -> None:
    assert Sshkit.from_raw({}) == Sshkit(30, 900)
    assert Sshkit.from_raw({"sshkit": {"max_concurrent_starts": 5}}) == Sshkit(5, 900)


@pytest.mark.parametrize(
    ("limit", "hosts", "size"),
    [
        (None, 4, 4),
        (None, 0, 1),
        (2, 5, 2),
        ("3", 5, 3),
        ("25%", 10, 2),
        ("25%", 3, 1),
        ("50%", 5, 2),
        ("100%", 7, 7),
    ],
)
def test_boot_group_size(limit: Any, hosts: int, size: int) -> None:
    assert Boot.from_raw({"boot": {"limit": limit}}).group_size(hosts) == size


def test_boot_defaults() -> None:
    assert Boot.from_raw({}) == Boot(None, None)
    assert Boot.from_raw({"boot": {"limit": 3, "wait": 2}}) == Boot(3, 2)


@pytest.mark.parametrize(
    ("builder", "kind"),
    [
        ({"multiarch": False}, "native"),
        ({"multiarch": False, "cache": {"type": "gha"}}, "native_cached"),
        (
            {"local": {"arch": "arm64", "host": "unix:///a"}, "remote": {"arch": "amd64"}},
            "multiarch_remote",
        ),
        ({"remote": {"arch": "amd64", "host": "ssh://b"}}, "native_remote"),
        ({}, "multiarch"),
        ({"cache": {"type": "registry"}}, "multiarch"),
    ],
)
def test_builder_kind(builder: dict[str, Any], kind: str) -> None:
    assert Builder.from_raw({"builder": builder}).kind == kind


def test_builder_defaults() -> None:
    builder = Builder.from_raw({})
    assert (builder.multiarch, builder.context, builder.dockerfile) == (True, ".", "Dockerfile")
    assert (builder.args, builder.secrets, builder.target) == ({}, (), None)


def test_registry_password_as_string_or_env_name() -> None:
    assert Registry.from_raw({"registry": {"password": "pw"}}).resolved_password({}) == "pw"
    registry = Registry.from_raw({"registry": {"username": ["U"], "password": ["PW"]}})
    assert registry.resolved_password({"PW": "from-env"}) == "from-env"
    assert registry.resolved_username({"U": "me"}) == "me"
    with pytest.raises(MissingSecret) as raised:
        registry.resolved_password({})
    assert str(raised.value) == "Secret PW is not set (add it to .kamal/.env or the environment)"


def test_traefik_defaults_and_args_merge() -> None:
    traefik = Traefik.from_raw({})
    assert (traefik.image, traefik.host_port, traefik.publish) == ("traefik:v2.11", 80, True)
    assert traefik.args == {"providers.docker": None, "log.level": "DEBUG"}
    custom = Traefik.from_raw(
        {"traefik": {"host_port": 8080, "args": {"log.level": "ERROR", "accesslog": True}}}
    )
    assert custom.host_port == 8080
    assert custom.args == {"providers.docker": None, "log.level": "ERROR", "accesslog": True}


# --- accessories ----------------------------------------------------------------------------


ACCESSORIES = {
    "mysql": {"image": "mysql:8.0", "host": "1.1.1.5", "port": 3306, "env": {"A": "a"}},
    "redis": {
        "service": "cache",
        "image": "redis:7",
        "hosts": ["1.1.1.6", "1.1.1.7"],
        "port": "36379:6379",
    },
    "monitor": {"image": "mon", "roles": ["web", "workers"]},
}


def test_accessories_names_ports_and_hosts() -> None:
    raw = yaml.safe_load(ROLES)
    raw["accessories"] = ACCESSORIES
    c = Config(raw, version="v1")
    mysql, redis, monitor = (c.accessory(name) for name in ("mysql", "redis", "monitor"))
    assert (mysql.service, mysql.hosts, mysql.published_port) == (
        "app-mysql",
        ["1.1.1.5"],
        "3306:3306",
    )
    assert mysql.env == Env({"A": "a"})
    assert mysql.env_file == "env/accessories/app-mysql.env"
    assert (redis.service, redis.hosts, redis.published_port) == (
        "cache",
        ["1.1.1.6", "1.1.1.7"],
        "36379:6379",
    )
    assert redis.env_file == "env/accessories/cache.env"
    assert monitor.hosts == ["1.1.1.1", "1.1.1.2", "1.1.1.3"]
    assert monitor.published_port is None


def test_unknown_accessory_lists_the_options() -> None:
    raw = yaml.safe_load(MINIMAL)
    raw["accessories"] = {"mysql": {"image": "mysql", "host": "h"}, "pg": {"image": "pg"}}
    with pytest.raises(UnknownAccessory) as raised:
        Config(raw, version="v1").accessory("redis")
    assert str(raised.value) == "No accessory by the name of 'redis' (options: mysql and pg)"


def test_accessory_from_raw_directly() -> None:
    accessory = Accessory.from_raw(
        "db", {"image": "pg", "host": "h", "files": ["a:b"], "directories": ["d:e"]}, "svc", {}
    )
    assert accessory.service == "svc-db"
    assert (accessory.files, accessory.directories, accessory.volumes) == (("a:b",), ("d:e",), ())


# --- redacted output --------------------------------------------------------------------------


def test_redacted_hides_the_password_and_drops_anchors() -> None:
    raw = yaml.safe_load(MINIMAL)
    raw["x-common"] = {"a": 1}
    c = Config(raw, version="v1", destination=None)
    assert redacted(c) == {
        "service": "app",
        "image": "dhh/app",
        "servers": ["1.1.1.1", "1.1.1.2"],
        "registry": {"username": "user", "password": "[REDACTED]"},
        "version": "v1",
        "destination": None,
        "absolute_image": "dhh/app:v1",
        "primary_host": "1.1.1.1",
        "roles": {"web": ["1.1.1.1", "1.1.1.2"]},
    }
    # the raw config itself is untouched
    assert c.raw["registry"]["password"] == ["KAMAL_REGISTRY_PASSWORD"]


# --- loading ----------------------------------------------------------------------------------


def test_deep_merge() -> None:
    base = {"a": {"b": 1, "c": {"d": 1, "e": 1}}, "list": [1, 2], "f": 1}
    over = {"a": {"c": {"e": 2}, "g": 3}, "list": [3], "h": {"i": 1}}
    assert deep_merge(base, over) == {
        "a": {"b": 1, "c": {"d": 1, "e": 2}, "g": 3},
        "list": [3],
        "f": 1,
        "h": {"i": 1},
    }
    assert base == {"a": {"b": 1, "c": {"d": 1, "e": 1}}, "list": [1, 2], "f": 1}


def test_destination_path() -> None:
    assert destination_path(Path("config/deploy.yml"), "staging") == Path(
        "config/deploy.staging.yml"
    )


def test_load_raw_merges_the_destination_file(tmp_path: Path) -> None:
    (tmp_path / "deploy.yml").write_text(MINIMAL + "env:\n  clear:\n    A: base\n    B: base\n")
    (tmp_path / "deploy.staging.yml").write_text(
        "servers:\n  - 3.3.3.3\nenv:\n  clear:\n    B: staging\n"
    )
    raw = load_raw(tmp_path / "deploy.yml", "staging")
    assert raw["servers"] == ["3.3.3.3"]
    assert raw["env"] == {"clear": {"A": "base", "B": "staging"}}
    assert raw["registry"] == {"username": "user", "password": ["KAMAL_REGISTRY_PASSWORD"]}
    assert load_raw(tmp_path / "deploy.yml", None)["servers"] == ["1.1.1.1", "1.1.1.2"]


def test_require_destination(tmp_path: Path) -> None:
    (tmp_path / "deploy.yml").write_text(MINIMAL + "require_destination: true\n")
    (tmp_path / "deploy.production.yml").write_text("servers:\n  - 4.4.4.4\n")
    with pytest.raises(ConfigurationError) as raised:
        load_raw(tmp_path / "deploy.yml", None)
    assert str(raised.value) == "You must specify a destination (require_destination is set)"
    assert load_raw(tmp_path / "deploy.yml", "production")["servers"] == ["4.4.4.4"]


def test_read_yaml_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        read_yaml(tmp_path / "missing.yml")
    assert str(raised.value) == f"Configuration file not found: {tmp_path / 'missing.yml'}"
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    with pytest.raises(ConfigurationError) as raised:
        read_yaml(tmp_path / "list.yml")
    assert str(raised.value) == f"{tmp_path / 'list.yml'}: should be a hash at the top level"
    (tmp_path / "bad.yml").write_text("a: [1\n")
    with pytest.raises(ConfigurationError) as raised:
        read_yaml(tmp_path / "bad.yml")
    assert str(raised.value).startswith(f"{tmp_path / 'bad.yml'}: invalid YAML: ")
    (tmp_path / "empty.yml").write_text("")
    assert read_yaml(tmp_path / "empty.yml") == {}


def test_missing_destination_file(tmp_path: Path) -> None:
    (tmp_path / "deploy.yml").write_text(MINIMAL)
    with pytest.raises(ConfigurationError) as raised:
        load_raw(tmp_path / "deploy.yml", "nowhere")
    assert str(raised.value) == (f"Configuration file not found: {tmp_path / 'deploy.nowhere.yml'}")


def test_config_load_validates_and_merges(tmp_path: Path) -> None:
    (tmp_path / "deploy.yml").write_text(MINIMAL)
    (tmp_path / "deploy.staging.yml").write_text("servers:\n  - 3.3.3.3\n")
    c = Config.load(
        tmp_path / "deploy.yml", version="v3", destination="staging", env_values={"K": "v"}
    )
    assert (c.hosts, c.version, c.destination, dict(c.env_values)) == (
        ["3.3.3.3"],
        "v3",
        "staging",
        {"K": "v"},
    )
    (tmp_path / "bad.yml").write_text(MINIMAL + "unknown_thing: 1\n")
    with pytest.raises(ConfigurationError) as raised:
        Config.load(tmp_path / "bad.yml", version="v3")
    assert str(raised.value) == "unknown key: unknown_thing"


# --- version ------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("VERSION", raising=False)
    git(tmp_path, "init", "-q")
    (tmp_path / "file.txt").write_text("one\n")
    git(tmp_path, "add", "file.txt")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_version_explicit_wins(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSION", "from-env")
    assert app_version("v42", repo) == "v42"


def test_version_from_env(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERSION", "from-env")
    assert app_version(None, repo) == "from-env"


def test_version_is_the_git_sha_when_clean(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    assert re.fullmatch(r"[0-9a-f]{40}", sha)
    assert app_version(None, repo) == sha


def test_version_marks_uncommitted_changes(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    (repo / "file.txt").write_text("two\n")
    first, second = app_version(None, repo), app_version(None, repo)
    assert re.fullmatch(rf"{sha}_uncommitted_[0-9a-f]{{16}}", first)
    assert first != second


def test_version_untracked_file_counts_as_uncommitted(repo: Path) -> None:
    (repo / "new.txt").write_text("new\n")
    assert "_uncommitted_" in app_version(None, repo)


def test_version_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERSION", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(KamalError) as raised:
        app_version(None, tmp_path)
    assert str(raised.value) == "Can't determine the version: pass --version or set VERSION"
