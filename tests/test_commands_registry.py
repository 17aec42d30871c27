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


def test_remote_login_is_skipped_only_for_the_very_credentials_stored(make_config):
    config = make_config(registry={"server": "registry.example.com", "username": "user",
                                   "password": "pw"})  # fmt: skip
    assert registry.login_unless_stored(config) == (
        '(IFS= read -r auth; f="${DOCKER_CONFIG:-$HOME/.docker}/config.json"; '
        "stored=$(tr -d ' \\t\\r\\n' < \"$f\" 2>/dev/null); "
        'case "$stored" in *\'"registry.example.com":{"auth":"\'"$auth"\'"}\'*) '
        'echo "Already logged in"; cat >/dev/null ;; '
        '*) docker login registry.example.com -u "user" --password-stdin ;; esac)'
    )
    assert registry.stored_auth("user", "pw") == "dXNlcjpwdw=="


STUB_LOGIN = """#!/bin/sh
echo "$*" >> "$HOME/calls"; cat > "$HOME/stdin"; echo "Login Succeeded"
"""


def login_through_sh(tmp_path, command, stored, password="pw"):
    """Run ``command`` in sh with HOME=tmp_path holding ``stored`` as docker's config and a
    stub docker; return (stdout, docker's arguments, what docker read on stdin)."""
    import os
    import subprocess

    (tmp_path / "bin").mkdir(exist_ok=True)
    (tmp_path / "bin" / "docker").write_text(STUB_LOGIN)
    (tmp_path / "bin" / "docker").chmod(0o755)
    for name in ("calls", "stdin"):
        (tmp_path / name).unlink(missing_ok=True)
    if stored is not None:
        (tmp_path / ".docker").mkdir(exist_ok=True)
        (tmp_path / ".docker" / "config.json").write_text(stored)
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    stdin = f"{registry.stored_auth('user', password)}\n{password}"
    done = subprocess.run(["sh", "-c", command], input=stdin, env=env, capture_output=True,
                          text=True, timeout=10, check=True)  # fmt: skip
    calls = tmp_path / "calls"
    read = tmp_path / "stdin"
    return (done.stdout, calls.read_text() if calls.exists() else "",
            read.read_text() if read.exists() else None)  # fmt: skip


DOCKER_WROTE = (  # as docker login writes it
    '{\n\t"auths": {\n\t\t"registry.example.com": {\n\t\t\t"auth": "dXNlcjpwdw=="\n\t\t}\n\t}\n}'
)


def test_remote_login_through_sh(make_config, tmp_path):
    config = make_config(registry={"server": "registry.example.com", "username": "user",
                                   "password": "pw"})  # fmt: skip
    command = registry.login_unless_stored(config)
    assert login_through_sh(tmp_path, command, DOCKER_WROTE) == ("Already logged in\n", "", None)
    login = "login registry.example.com -u user --password-stdin\n"
    # another password, another registry, a credential store, no config: docker login runs,
    # with the password alone on its stdin
    assert login_through_sh(tmp_path, command, DOCKER_WROTE, password="new") == (
        "Login Succeeded\n", login, "new",
    )  # fmt: skip
    elsewhere = DOCKER_WROTE.replace("registry.example.com", "ghcr.io")
    assert login_through_sh(tmp_path, command, elsewhere)[1] == login
    store = '{"auths": {"registry.example.com": {}}, "credsStore": "pass"}'
    assert login_through_sh(tmp_path, command, store)[1:] == (login, "pw")
    (tmp_path / ".docker" / "config.json").unlink()
    assert login_through_sh(tmp_path, command, None)[1:] == (login, "pw")


def test_remote_login_to_docker_hub_looks_under_its_key(make_config, tmp_path):
    command = registry.login_unless_stored(make_config())
    hub = DOCKER_WROTE.replace("registry.example.com", registry.DOCKER_HUB_KEY)
    assert login_through_sh(tmp_path, command, hub) == ("Already logged in\n", "", None)
