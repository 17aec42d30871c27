"""The KAMAL_* environment of hooks."""

from __future__ import annotations

from datetime import UTC, datetime

from kamal_tasks.commands import hooks

AT = datetime(2024, 1, 1, tzinfo=UTC)


def test_env(make_config):
    config = make_config(version="75bf6fa40b975cbd8aad5255e4cafba3a4afc9df")
    assert hooks.env(config, command="deploy", performer="alice", recorded_at=AT) == {
        "KAMAL_RECORDED_AT": "2024-01-01T00:00:00Z",
        "KAMAL_PERFORMER": "alice",
        "KAMAL_VERSION": "75bf6fa40b975cbd8aad5255e4cafba3a4afc9df",
        "KAMAL_SERVICE_VERSION": "app@75bf6fa",
        "KAMAL_SERVICE": "app",
        "KAMAL_HOSTS": "1.1.1.1,1.1.1.2",
        "KAMAL_COMMAND": "deploy",
        "KAMAL_SUBCOMMAND": "",
    }


def test_env_with_everything(make_config):
    config = make_config(destination="staging")
    env = hooks.env(
        config,
        command="traefik",
        subcommand="reboot",
        performer="bob",
        recorded_at=AT,
        hosts=["1.1.1.2"],
        runtime=12.6,
    )
    assert env == {
        "KAMAL_RECORDED_AT": "2024-01-01T00:00:00Z",
        "KAMAL_PERFORMER": "bob",
        "KAMAL_VERSION": "999",
        "KAMAL_SERVICE_VERSION": "app@999",
        "KAMAL_SERVICE": "app",
        "KAMAL_HOSTS": "1.1.1.2",
        "KAMAL_COMMAND": "traefik",
        "KAMAL_SUBCOMMAND": "reboot",
        "KAMAL_DESTINATION": "staging",
        "KAMAL_RUNTIME": "13",
    }


def test_hosts_follow_selection(make_config):
    config = make_config().select(hosts="1.1.1.2")
    env = hooks.env(config, command="deploy", performer="a", recorded_at=AT)
    assert env["KAMAL_HOSTS"] == "1.1.1.2"


def test_abbreviated_version():
    assert hooks.abbreviated_version("75bf6fa40b975cbd") == "75bf6fa"
    assert hooks.abbreviated_version("75bf6fa40_uncommitted_abc") == "75bf6fa40_uncommitted_abc"
    assert hooks.abbreviated_version("999") == "999"
