"""Registry commands, to the byte."""

from __future__ import annotations

import subprocess

import pytest

from kamal_tasks.commands import registry
from kamal_tasks.configuration import Config
from kamal_tasks.errors import MissingSecret

SERVER = {"server": "registry.example.com", "username": "user", "password": "secret-pw"}


def test_login(make_config):
    config = make_config(registry=SERVER)
    command = registry.login(config)
    assert command == 'docker login registry.example.com -u "user" --password-stdin'
    assert "secret-pw" not in command


def test_login_docker_hub(make_config):
    assert registry.login(make_config()) == 'docker login -u "user" --password-stdin'


def test_login_username_from_env(make_config):
    raw = make_config(registry={"username": ["REG_USER"], "password": ["REG_PW"]}).raw
    config = Config(raw, "999", env_values={"REG_USER": "o'brien $x"})
    assert registry.login(config) == 'docker login -u "o\'brien \\$x" --password-stdin'
    with pytest.raises(MissingSecret):
        registry.login(Config(raw, "999"))
    assert registry.login(Config(raw, "999"), username="bob") == (
        'docker login -u "bob" --password-stdin'
    )


def test_login_username_reaches_docker_unchanged(make_config, docker_argv):
    name = 'it\'s "me" $HOME `id` é'
    command = registry.login(make_config(registry=SERVER), username=name)
    assert docker_argv(command) == [
        ["login", "registry.example.com", "-u", name, "--password-stdin"]
    ]


def test_login_reads_password_from_stdin(make_config):
    script = "docker() { cat; }; " + registry.login(make_config(registry=SERVER))
    out = subprocess.run(["sh", "-c", script], input=b"secret-pw", capture_output=True)
    assert out.stdout == b"secret-pw"


def test_logout(make_config):
    assert registry.logout(make_config(registry=SERVER)) == ("docker logout registry.example.com")
    assert registry.logout(make_config()) == "docker logout"
