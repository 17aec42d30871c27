"""Secret env files: content, paths and commands."""

from __future__ import annotations

import pytest

from kamal_tasks.commands import env_files
from kamal_tasks.commands.env_files import MultilineSecret
from kamal_tasks.errors import KamalError


def test_content_is_literal_key_value_lines():
    secrets = {
        "DATABASE_URL": "postgres://u:p@db/app?x=1",
        "QUOTED": '"it\'s" $HOME `id` \\n',
        "SPACES": "  padded  ",
        "UNICODE": "é 日本 🚀",
        "EMPTY": "",
    }
    assert env_files.content(secrets) == (
        "DATABASE_URL=postgres://u:p@db/app?x=1\n"
        'QUOTED="it\'s" $HOME `id` \\n\n'
        "SPACES=  padded  \n"
        "UNICODE=é 日本 🚀\n"
        "EMPTY=\n"
    )
    assert env_files.content({}) == ""


@pytest.mark.parametrize("value", ["line1\nline2", "trailing\n", "carriage\r"])
def test_multiline_secret(value):
    with pytest.raises(MultilineSecret) as raised:
        env_files.content({"OK": "fine", "CERT": value})
    assert raised.value.key == "CERT"
    assert isinstance(raised.value, KamalError)
    assert str(raised.value).startswith("Secret CERT has a multi-line value")


def test_paths(make_config):
    config = make_config(
        servers={"web": ["1.1.1.1"], "workers": ["1.1.1.2"]},
        accessories={"mysql": {"image": "mysql", "host": "1.1.1.5"}},
    )
    assert env_files.role_env_file(config, config.role("web")) == ".kamal/env/roles/app-web.env"
    assert env_files.accessory_env_file(config, config.accessory("mysql")) == (
        ".kamal/env/accessories/app-mysql.env"
    )
    assert env_files.traefik_env_file(config) == ".kamal/env/traefik/traefik.env"
    staging = make_config(destination="staging", run_directory="state")
    assert env_files.role_env_file(staging, staging.role("web")) == (
        "state/env/roles/app-web-staging.env"
    )


def test_commands():
    path = ".kamal/env/roles/app-web.env"
    assert env_files.make_env_directory(path) == "mkdir -p .kamal/env/roles"
    assert env_files.protect(path) == "chmod 400 .kamal/env/roles/app-web.env"
    assert env_files.remove(path) == "rm -f .kamal/env/roles/app-web.env"


def test_exists_tests_for_a_regular_file():
    path = ".kamal/env/roles/app-web.env"
    assert env_files.exists(path) == f"test -f {path}"
