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
    assert env_files.remove(path) == "rm -f .kamal/env/roles/app-web.env"
    assert env_files.write(path) == (
        "mkdir -p .kamal/env/roles"
        " && rm -f .kamal/env/roles/app-web.env.tmp"
        " && (umask 0277 && cat > .kamal/env/roles/app-web.env.tmp)"
        " && mv -f .kamal/env/roles/app-web.env.tmp .kamal/env/roles/app-web.env"
    )


def test_exists_tests_for_a_regular_file():
    path = ".kamal/env/roles/app-web.env"
    assert env_files.exists(path) == f"test -f {path}"


def run_write(tmp_path, content: str, shell_prelude: str = "") -> None:
    import subprocess

    command = env_files.write(".kamal/env/roles/app-web.env")
    subprocess.run(
        ["sh", "-c", shell_prelude + command], cwd=tmp_path, input=content.encode(), check=True
    )


def test_write_creates_the_file_0400_from_its_first_byte(tmp_path):
    import stat

    # `cat` replaced by a function noting the temp file's mode and size when the shell has
    # just created it (the redirection opens it before cat runs), before any byte is written
    prelude = "cat() { stat -c '%a %s' .kamal/env/roles/app-web.env.tmp > at-open; command cat; }; "
    run_write(tmp_path, "SECRET=one\n", prelude)
    target = tmp_path / ".kamal/env/roles/app-web.env"
    assert (tmp_path / "at-open").read_text() == "400 0\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o400
    assert target.read_text() == "SECRET=one\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["app-web.env"]


def test_write_replaces_a_read_only_file_atomically(tmp_path):
    import stat

    run_write(tmp_path, "SECRET=old\n")
    target = tmp_path / ".kamal/env/roles/app-web.env"
    old_inode = target.stat().st_ino
    # while the new content is written, the old file is still whole, 0400, in place
    prelude = (
        "cat() { stat -c %a .kamal/env/roles/app-web.env > old-mode; "
        "command cat .kamal/env/roles/app-web.env > old-content; command cat; }; "
    )
    run_write(tmp_path, "SECRET=new\nOTHER=2\n", prelude)
    assert (tmp_path / "old-mode").read_text() == "400\n"
    assert (tmp_path / "old-content").read_text() == "SECRET=old\n"
    assert target.read_text() == "SECRET=new\nOTHER=2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o400
    assert target.stat().st_ino != old_inode  # renamed over, not rewritten in place
    assert sorted(p.name for p in target.parent.iterdir()) == ["app-web.env"]


def test_write_survives_a_stale_read_only_temp_file(tmp_path):
    roles = tmp_path / ".kamal/env/roles"
    roles.mkdir(parents=True)
    (roles / "app-web.env.tmp").write_text("STALE=1\n")
    (roles / "app-web.env.tmp").chmod(0o400)
    run_write(tmp_path, "SECRET=fresh\n")
    assert (roles / "app-web.env").read_text() == "SECRET=fresh\n"
    assert sorted(p.name for p in roles.iterdir()) == ["app-web.env"]


def test_write_keeps_the_content_off_the_command_line():
    command = env_files.write(".kamal/env/roles/app-web.env")
    assert "=" not in command and "<<" not in command and "echo" not in command
