"""Task inputs that are wrong end in one line naming the flag (exit 1), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import kamal

from kamal_tasks.errors import KamalError, UnknownSection
from kamal_tasks.flows.sessions import env_pairs


def test_env_pairs() -> None:
    assert env_pairs(None) == {}
    assert env_pairs(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}


@pytest.mark.parametrize("item", ["FOO", "=1"])
def test_env_pairs_refuse_an_item_without_a_key_and_value(item: str) -> None:
    with pytest.raises(KamalError, match=f"--env {item!r}: should be KEY=VALUE"):
        env_pairs(["A=1", item])


def test_an_unknown_docs_section_is_one_of_our_errors() -> None:
    assert issubclass(UnknownSection, KamalError)


def test_docs_output_into_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    done = kamal(tmp_path, "docs", "--output", "afile/x")
    assert done.returncode == 1
    assert done.stderr == "ERROR: --output afile/x: Not a directory\n"


def test_docs_unknown_section_is_one_line(tmp_path: Path) -> None:
    done = kamal(tmp_path, "docs", "--section", "nope")
    assert done.returncode == 1
    assert done.stderr.startswith("ERROR: Unknown section 'nope' (sections: configuration,")
    assert "Traceback" not in done.stderr
