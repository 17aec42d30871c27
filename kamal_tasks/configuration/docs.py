"""The documented example configuration, one YAML file per section (``docs/<section>.yml``).

The same files define what validation accepts (each section module's schema), are printed by the
``docs`` task and are turned into Markdown pages. Importing this module is cheap: no YAML
or voluptuous.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kamal_tasks.configuration.sections import SECTIONS
from kamal_tasks.errors import UnknownSection


def example(section: str) -> str:
    """The documented example YAML of one section (raises ``UnknownSection``)."""
    if section not in SECTIONS:
        raise UnknownSection(section, SECTIONS)
    docs = resources.files("kamal_tasks").joinpath("configuration", "docs")
    return docs.joinpath(f"{section}.yml").read_text(encoding="utf-8")


def render_all() -> str:
    """Every section's example, in ``SECTIONS`` order, separated by a blank line."""
    return "\n".join(example(section) for section in SECTIONS)


def markdown(section: str) -> str:
    """A Markdown page for one section: comments become prose, YAML goes in code fences.

    The file's first comment line is the page title; a comment block whose first line is
    followed by an empty ``#`` line starts with a subheading.
    """
    pages: list[str] = []
    for kind, lines in blocks(example(section)):
        if kind == "yaml":
            pages.append("```yaml\n" + "\n".join(lines) + "\n```")
        else:
            pages.append(prose(lines, title=not pages))
    return "\n\n".join(pages) + "\n"


def write_markdown(output_dir: Path | str) -> list[Path]:
    """Write ``<section>.md`` for every section into ``output_dir``; return the paths."""
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for section in SECTIONS:
        path = directory / f"{section}.md"
        path.write_text(markdown(section), encoding="utf-8")
        written.append(path)
    return written


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """Split an example into runs of ``comment`` lines (uncommented) and ``yaml`` lines."""
    result: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip():
            result.append(("blank", []))
            continue
        kind = "comment" if line.lstrip().startswith("#") else "yaml"
        content = uncomment(line) if kind == "comment" else line
        if result and result[-1][0] == kind:
            result[-1][1].append(content)
        else:
            result.append((kind, [content]))
    return [(kind, lines) for kind, lines in result if kind != "blank"]


def uncomment(line: str) -> str:
    """``  # text`` -> ``text`` (keeping any further indentation)."""
    text = line.lstrip()[1:]
    return text[1:] if text.startswith(" ") else text


def prose(lines: list[str], *, title: bool) -> str:
    """A comment block as Markdown, led by a heading when it has one."""
    has_heading = title or (len(lines) > 1 and not lines[1].strip())
    if not has_heading:
        return "\n".join(lines)
    heading = f"{'#' if title else '##'} {lines[0]}"
    body = "\n".join(lines[2:] if len(lines) > 1 else []).strip("\n")
    return f"{heading}\n\n{body}" if body else heading
