"""Cord commands, to the byte."""

from __future__ import annotations

import subprocess

import pytest

from kamal_tasks.commands import cord


@pytest.fixture
def config(make_config):
    return make_config()


def test_paths_and_health(config, make_config):
    web = config.role("web")
    assert cord.host_directory(config, web, "12345678") == ".kamal/cords/app-web-12345678"
    assert cord.container_directory(web) == "/tmp/kamal-cord"
    assert cord.volume_arg(config, web, "12345678") == (
        "--volume $(pwd)/.kamal/cords/app-web-12345678:/tmp/kamal-cord"
    )
    assert cord.health_command(web) == (
        "(curl -f http://localhost:3000/up || exit 1) && "
        "(stat /tmp/kamal-cord/cord > /dev/null || exit 1)"
    )
    custom = make_config(
        healthcheck={"cmd": "wget -q -O- localhost/up", "cord": "/cord"}, run_directory="state"
    )
    assert cord.health_command(custom.role("web")) == (
        "(wget -q -O- localhost/up) && (stat /cord/cord > /dev/null || exit 1)"
    )
    assert cord.host_directory(custom, custom.role("web"), "x") == "state/cords/app-web-x"


def test_no_cord(make_config):
    config = make_config(healthcheck={"cord": False})
    web = config.role("web")
    assert cord.health_command(web) == "curl -f http://localhost:3000/up || exit 1"
    with pytest.raises(ValueError):
        cord.container_directory(web)


def test_tie_and_cut():
    directory = ".kamal/cords/app-web-12345678"
    assert cord.tie(directory) == (
        "mkdir -p .kamal/cords/app-web-12345678 && touch .kamal/cords/app-web-12345678/cord"
    )
    assert cord.cut(directory) == "rm -r .kamal/cords/app-web-12345678"
    assert cord.cut("/root/.kamal/cords/app-web-1") == "rm -r /root/.kamal/cords/app-web-1"


def test_directory_of(config):
    assert cord.directory_of(config.role("web"), "app-web-999") == (
        'docker inspect -f \'{{range .Mounts}}{{if eq .Destination "/tmp/kamal-cord"}}'
        "{{.Source}}{{end}}{{end}}' app-web-999"
    )


def test_hostile_cord_path_is_quoted_everywhere(make_config, docker_argv):
    path = "/tmp/my cord\"'$(touch x)`id`;*"
    config = make_config(healthcheck={"cord": path}, run_directory="my dir")
    web = config.role("web")
    assert cord.health_command(web) == (
        "(curl -f http://localhost:3000/up || exit 1) && "
        "(stat '/tmp/my cord\"'\\''$(touch x)`id`;*/cord' > /dev/null || exit 1)"
    )
    assert cord.volume_arg(config, web, "ab") == (
        "--volume $(pwd)/'my dir/cords/app-web-ab:/tmp/my cord\"'\\''$(touch x)`id`;*'"
    )
    # the Go template compares with a Go string literal (JSON escapes are Go escapes)
    ((_, _, template, name),) = docker_argv(cord.directory_of(web, "app-web-1"))
    assert template == (
        '{{range .Mounts}}{{if eq .Destination "/tmp/my cord\\"\'$(touch x)`id`;*"}}'
        "{{.Source}}{{end}}{{end}}"
    )
    assert name == "app-web-1"
    assert cord.cut("my dir/cords/app-web-1") == "rm -r 'my dir/cords/app-web-1'"
    assert cord.tie("my dir/c") == "mkdir -p 'my dir/c' && touch 'my dir/c/cord'"


def test_tie_and_cut_work(tmp_path, config):
    directory = cord.host_directory(config, config.role("web"), "abc")
    subprocess.run(["sh", "-c", cord.tie(directory)], cwd=tmp_path, check=True)
    assert (tmp_path / directory / "cord").is_file()
    subprocess.run(["sh", "-c", cord.cut(directory)], cwd=tmp_path, check=True)
    assert not (tmp_path / directory).exists()
