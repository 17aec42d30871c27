"""The documented examples: each validates, and each documents every key its schema accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kamal_tasks.configuration import docs
from kamal_tasks.configuration.env import NESTED_ENV
from kamal_tasks.configuration.root import SECTION_SCHEMAS
from kamal_tasks.configuration.validation import validate

MINIMAL = {
    "service": "my-app",
    "image": "my-user/my-app",
    "servers": ["192.168.0.1"],
    "registry": {"username": "my-user", "password": ["KAMAL_REGISTRY_PASSWORD"]},
}


#: Schemas with a page of their own; a section's example only points at them.
DOCUMENTED = (*SECTION_SCHEMAS.values(), NESTED_ENV)


def parsed(section: str) -> dict[str, Any]:
    return yaml.safe_load(docs.example(section))


def keys_in(value: Any) -> set[str]:
    """Every mapping key anywhere in a parsed example."""
    if isinstance(value, dict):
        return {str(key) for key in value} | set().union(*map(keys_in, value.values()))
    if isinstance(value, list):
        return set().union(*map(keys_in, value))
    return set()


def schema_keys(validator: Any) -> set[str]:
    """The keys a schema accepts, with those of nested parts that have no page of their own."""
    fields = getattr(validator, "fields", {})
    keys = set(fields)
    for nested in fields.values():
        if not any(nested is documented for documented in DOCUMENTED):
            keys |= schema_keys(nested)
    return keys


def test_sections_match_files_and_schemas() -> None:
    files = {path.stem for path in (Path(docs.__file__).parent / "docs").glob("*.yml")}
    assert docs.SECTIONS[0] == "configuration"
    assert set(docs.SECTIONS) == files == set(SECTION_SCHEMAS)


@pytest.mark.parametrize("section", docs.SECTIONS)
def test_example_is_a_mergeable_snippet_that_validates(section: str) -> None:
    example = parsed(section)
    assert isinstance(example, dict)
    assert validate({**MINIMAL, **example}) == []


def test_root_example_is_a_complete_valid_configuration() -> None:
    assert validate(parsed("configuration")) == []


@pytest.mark.parametrize("section", docs.SECTIONS)
def test_example_documents_every_key_its_schema_accepts(section: str) -> None:
    missing = schema_keys(SECTION_SCHEMAS[section]) - keys_in(parsed(section))
    assert not missing, f"{section}.yml does not document {sorted(missing)}"


@pytest.mark.parametrize("section", docs.SECTIONS)
def test_example_opens_with_a_heading_and_comments_every_key(section: str) -> None:
    lines = docs.example(section).splitlines()
    assert lines[0].startswith("# ") and lines[1] == "#"
    for key in getattr(SECTION_SCHEMAS[section], "fields", {}):
        index = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"{key}:"))
        assert lines[index - 1].lstrip().startswith("#"), f"{section}.yml: {key} has no comment"


def test_root_example_names_the_other_sections() -> None:
    text = docs.example("configuration")
    for section in docs.SECTIONS[1:]:
        assert f"docs {section}" in text


def test_servers_example_documents_host_tags() -> None:
    text = docs.example("servers")
    assert "172.0.0.4: tag1" in text
    assert "172.0.0.5: [ tag1, tag2 ]" in text


def test_env_example_has_both_tag_forms() -> None:
    example = parsed("env")
    assert "tags" in example["env"]
    assert "env_tags" in example


def test_unknown_section() -> None:
    with pytest.raises(KeyError) as raised:
        docs.example("nope")
    assert isinstance(raised.value, docs.UnknownSection)
    assert str(raised.value) == f"Unknown section 'nope' (sections: {', '.join(docs.SECTIONS)})"


def test_render_all_holds_every_section_in_order() -> None:
    text = docs.render_all()
    positions = [text.index(docs.example(section)) for section in docs.SECTIONS]
    assert positions == sorted(positions)


def test_markdown_page() -> None:
    page = docs.markdown("sshkit")
    assert page.startswith("# SSHKit\n")
    assert "## Max concurrent starts" in page
    assert "```yaml\n  max_concurrent_starts: 10\n```" in page
    assert "#" not in page.split("```yaml")[1].split("```")[0]


def test_write_markdown_writes_one_page_per_section(tmp_path: Path) -> None:
    written = docs.write_markdown(tmp_path / "out")
    assert [path.name for path in written] == [f"{section}.md" for section in docs.SECTIONS]
    assert all(path.read_text().startswith("# ") for path in written)


def test_importing_docs_loads_neither_yaml_nor_voluptuous() -> None:
    code = (
        "import sys, kamal_tasks.configuration.docs as d; d.example('ssh');"
        "print('yaml' in sys.modules, 'voluptuous' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"], result.stderr
