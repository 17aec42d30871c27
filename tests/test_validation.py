"""Configuration validation: a corpus of invalid configs with their exact errors, and valid ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kamal_tasks.configuration.validation import check, validate
from kamal_tasks.errors import ConfigurationError

INVALID_CONFIGS = sorted((Path(__file__).parent / "invalid_configs").glob("*.yml"))
ERROR_PREFIX = "# error: "

MINIMAL = """
service: hey
image: 37s/hey
servers:
  - 192.168.0.1
  - 192.168.0.2
registry:
  username: registry-user-name
  password:
    - KAMAL_REGISTRY_PASSWORD
"""


def expected_errors(text: str) -> list[str]:
    """The ``# error: ...`` lines at the top of a corpus file, in order."""
    errors = []
    for line in text.splitlines():
        if not line.startswith(ERROR_PREFIX):
            break
        errors.append(line.removeprefix(ERROR_PREFIX))
    return errors


def test_corpus_is_large_enough() -> None:
    assert len(INVALID_CONFIGS) >= 40


@pytest.mark.parametrize("path", INVALID_CONFIGS, ids=lambda path: path.stem)
def test_invalid_config_reports_exactly_its_errors(path: Path) -> None:
    text = path.read_text()
    expected = expected_errors(text)
    assert expected, f"{path.name} has no '# error:' lines"
    assert validate(yaml.safe_load(text)) == expected


@pytest.mark.parametrize("path", INVALID_CONFIGS[:3], ids=lambda path: path.stem)
def test_check_raises_with_every_error(path: Path) -> None:
    text = path.read_text()
    with pytest.raises(ConfigurationError) as raised:
        check(yaml.safe_load(text))
    assert list(raised.value.errors) == expected_errors(text)


def test_validation_is_deterministic() -> None:
    raw = yaml.safe_load((Path(__file__).parent / "invalid_configs/several_errors.yml").read_text())
    assert validate(raw) == validate(raw)


def test_the_configuration_must_be_a_hash() -> None:
    assert validate(None) == ["The configuration should be a hash"]
    assert validate(["service"]) == ["The configuration should be a hash"]


def test_kamal_minimal_config_is_valid() -> None:
    raw = yaml.safe_load(MINIMAL)
    assert validate(raw) == []
    check(raw)


def test_roles_with_tagged_hosts_are_valid() -> None:
    raw = yaml.safe_load(
        MINIMAL
        + """
servers:
  web:
    - 1.1.1.1
    - 1.1.1.2: tag1
  workers:
    hosts:
      - 1.1.1.3: [tag1, tag2]
    cmd: bin/jobs
    traefik: false
env:
  clear:
    A: b
  secret:
    - PASSWORD
  tags:
    tag1:
      C: d
    tag2:
      clear:
        E: f
      secret:
        - TAG_SECRET
"""
    )
    assert validate(raw) == []


def test_env_tags_form_is_valid() -> None:
    raw = yaml.safe_load(
        MINIMAL
        + """
servers:
  - 1.1.1.1
  - 1.1.1.2: tag1
  - 1.1.1.2: tag2
  - 1.1.1.3: [ tag1, tag2 ]
env_tags:
  tag1:
    ENV1: value1
  tag2:
    clear:
      ENV2: value2
    secret:
      - ENV3
"""
    )
    assert validate(raw) == []


def test_extension_keys_and_anchors_are_valid_at_the_root() -> None:
    raw = yaml.safe_load(
        MINIMAL
        + """
x-options: &options
  memory: 2g
servers:
  web:
    hosts: [1.1.1.1]
    options: *options
"""
    )
    assert validate(raw) == []


def test_stringish_values_are_accepted_like_kamal() -> None:
    raw = yaml.safe_load(
        MINIMAL
        + """
env:
  PORT: 3000
  DEBUG: false
labels:
  priority: 1
traefik:
  host_port: 8080
ssh:
  port: "2222"
healthcheck:
  port: 80
  cord: false
boot:
  limit: 25%
  wait: 0.5
minimum_version: 1.1
"""
    )
    assert validate(raw) == []


def test_empty_roles_are_fine_when_allowed() -> None:
    raw = yaml.safe_load(
        MINIMAL
        + """
allow_empty_roles: true
servers:
  web: [1.1.1.1]
  workers: []
"""
    )
    assert validate(raw) == []


@pytest.mark.parametrize("required", ["1.1.0", "1.9.3", "1.9.3.0", "1.9", "1", 1.1, "0.9"])
def test_minimum_version_is_the_kamal_version_the_file_needs(required: object) -> None:
    raw = yaml.safe_load(MINIMAL)
    raw["minimum_version"] = required
    assert validate(raw) == []


@pytest.mark.parametrize("required", ["1.9.4", "1.10", "1.9.3.1", "2.0.0", "2"])
def test_minimum_version_newer_than_the_implemented_kamal_is_refused(required: str) -> None:
    raw = yaml.safe_load(MINIMAL)
    raw["minimum_version"] = required
    assert validate(raw) == [
        f"minimum_version: the file needs Kamal {required}; kamal-tasks implements Kamal 1.9.3"
    ]
