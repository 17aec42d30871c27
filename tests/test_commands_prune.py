"""Prune commands, to the byte."""

from __future__ import annotations

from kamal_tasks.commands import prune


def test_dangling_images(make_config):
    assert prune.dangling_images(make_config()) == (
        "docker image prune --force --filter label=service=app"
    )


def test_tagged_images(make_config):
    assert prune.tagged_images(make_config()) == (
        "docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}'"
        " | grep -v -w \"$(docker container ls -a --format '{{.Image}}\\|' "
        "--filter label=service=app | tr -d '\\n')dhh/app:latest\\|dhh/app:<none>\" | "
        "while read image tag; do docker rmi $tag; done"
    )


def test_tagged_images_with_registry(make_config):
    config = make_config(registry={"server": "reg.example.com", "username": "u"})
    assert "')reg.example.com/dhh/app:latest\\|reg.example.com/dhh/app:<none>\"" in (
        prune.tagged_images(config)
    )


def test_stopped_containers(make_config):
    expected = (
        "docker ps -q -a --filter label=service=app --filter status=created "
        "--filter status=exited --filter status=dead | tail -n +{} | "
        "while read container_id; do docker rm $container_id; done"
    )
    assert prune.stopped_containers(make_config()) == expected.format(6)
    assert prune.stopped_containers(make_config(retain_containers=2)) == expected.format(3)
    assert prune.stopped_containers(make_config(), retain=0) == expected.format(1)


def test_tagged_images_removes_only_unused_tags(make_config):
    import subprocess

    fake = r"""
docker() {
  case "$1 $2" in
    "image ls") printf '%s\n' 'a1 dhh/app:997' 'a2 dhh/app:998' 'a3 dhh/app:999' \
                  'a4 dhh/app:latest' 'a5 dhh/app:<none>' 'a6 dhh/app:9999' ;;
    "container ls") printf '%s\n' 'dhh/app:998\|' 'dhh/app:999\|' ;;
    rmi*) echo "removed $2" ;;
  esac
}
"""
    out = subprocess.run(
        ["sh", "-c", fake + prune.tagged_images(make_config())], capture_output=True, text=True
    )
    assert out.stdout == "removed dhh/app:997\nremoved dhh/app:9999\n"
