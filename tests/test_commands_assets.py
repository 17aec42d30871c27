"""Asset bridging commands, to the byte (and run against a scratch directory)."""

from __future__ import annotations

import subprocess

import pytest

from kamal_tasks.commands import assets


@pytest.fixture
def config(make_config):
    return make_config(asset_path="/public/assets")


def test_paths(config, make_config):
    web = config.role("web")
    assert assets.extracted_path(config, web, "999") == ".kamal/assets/extracted/app-web-999"
    assert assets.volume_path(config, web, "998") == ".kamal/assets/volumes/app-web-998"
    assert assets.volume_arg(config, web, "999") == (
        "--volume $(pwd)/.kamal/assets/volumes/app-web-999:/public/assets"
    )
    assert assets.container_name(web) == "app-web-assets"
    plain = make_config()
    assert assets.volume_arg(plain, plain.role("web"), "999") == ""


def test_role_asset_path_overrides_root(make_config):
    config = make_config(
        asset_path="/public/assets",
        servers={"web": ["1.1.1.1"], "api": {"hosts": ["1.1.1.2"], "asset_path": "/api/assets"}},
    )
    assert assets.volume_arg(config, config.role("api"), "1") == (
        "--volume $(pwd)/.kamal/assets/volumes/app-api-1:/api/assets"
    )


def test_extract(config):
    assert assets.extract(config, config.role("web")) == (
        "mkdir -p .kamal/assets/extracted/app-web-999 && "
        "docker stop -t 1 app-web-assets 2> /dev/null || true && "
        "docker run --name app-web-assets --detach --rm dhh/app:999 sleep 1000000 && "
        "docker cp -L app-web-assets:/public/assets/. .kamal/assets/extracted/app-web-999 && "
        "docker stop -t 1 app-web-assets"
    )


def test_extract_with_destination(make_config):
    config = make_config(asset_path="/public/assets", destination="staging")
    assert assets.extract(config, config.role("web"), "123") == (
        "mkdir -p .kamal/assets/extracted/app-web-staging-123 && "
        "docker stop -t 1 app-web-staging-assets 2> /dev/null || true && "
        "docker run --name app-web-staging-assets --detach --rm dhh/app:123 sleep 1000000 && "
        "docker cp -L app-web-staging-assets:/public/assets/. "
        ".kamal/assets/extracted/app-web-staging-123 && "
        "docker stop -t 1 app-web-staging-assets"
    )


def test_sync_volumes(config):
    web = config.role("web")
    assert assets.sync_volumes(config, web) == (
        "mkdir -p .kamal/assets/volumes/app-web-999 ; "
        "cp -rnT .kamal/assets/extracted/app-web-999 .kamal/assets/volumes/app-web-999"
    )
    assert assets.sync_volumes(config, web, old_version="998") == (
        "mkdir -p .kamal/assets/volumes/app-web-999 ; "
        "cp -rnT .kamal/assets/extracted/app-web-999 .kamal/assets/volumes/app-web-999 ; "
        "cp -rnT .kamal/assets/extracted/app-web-999 .kamal/assets/volumes/app-web-998 || true ; "
        "cp -rnT .kamal/assets/extracted/app-web-998 .kamal/assets/volumes/app-web-999 || true"
    )


def test_clean_up(config):
    assert assets.clean_up(config, config.role("web")) == (
        "find .kamal/assets/extracted -maxdepth 1 -name 'app-web-*' ! -name app-web-999 "
        '-exec rm -rf "{}" + ; '
        "find .kamal/assets/volumes -maxdepth 1 -name 'app-web-*' ! -name app-web-999 "
        '-exec rm -rf "{}" +'
    )


def test_sync_and_clean_up_on_disk(tmp_path, config):
    web = config.role("web")
    for version, files in {"998": ["old.css", "both.css"], "999": ["new.css", "both.css"]}.items():
        directory = tmp_path / assets.extracted_path(config, web, version)
        directory.mkdir(parents=True)
        for name in files:
            (directory / name).write_text(version)
    (tmp_path / assets.volume_path(config, web, "998")).mkdir(parents=True)
    (tmp_path / assets.volume_path(config, web, "997")).mkdir(parents=True)

    def sh(command):
        subprocess.run(["sh", "-c", command], cwd=tmp_path, check=True)

    sh(assets.sync_volumes(config, web, old_version="998"))
    new_volume = tmp_path / assets.volume_path(config, web, "999")
    old_volume = tmp_path / assets.volume_path(config, web, "998")
    assert sorted(p.name for p in new_volume.iterdir()) == ["both.css", "new.css", "old.css"]
    assert sorted(p.name for p in old_volume.iterdir()) == ["both.css", "new.css"]
    assert (new_volume / "both.css").read_text() == "999"

    sh(assets.clean_up(config, web))
    assert [p.name for p in (tmp_path / ".kamal/assets/volumes").iterdir()] == ["app-web-999"]
    assert [p.name for p in (tmp_path / ".kamal/assets/extracted").iterdir()] == ["app-web-999"]
