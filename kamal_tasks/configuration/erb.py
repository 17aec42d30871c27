"""The ERB that Kamal 1.x configuration files use in practice: reading the environment.

Kamal renders ``config/deploy.yml`` (and ``deploy.<destination>.yml``) with Ruby's ERB, no trim
mode, before parsing the YAML. We render the subset real files use, with Ruby's meaning:

- ``<%= ENV['X'] %>`` / ``<%= ENV["X"] %>``: the value, or ``""`` when unset (``nil.to_s``);
- ``<%= ENV.fetch('X') %>``: the value, or an error when unset (Ruby's ``KeyError``);
- ``<%= ENV.fetch('X', 'default') %>`` (or ``{ 'default' }``): the value, else the default;
- ``<%= ENV['X'] || 'default' %>``: the value when set (even empty), else the default;
- ``<%# comment %>`` renders nothing and ``<%%`` is a literal ``<%``.

Defaults are string literals, integers or ``nil``. Anything else between ``<%`` and ``%>``
(statements, other Ruby, the ``<%-``/``-%>`` trim markers that Kamal's ERB does not enable) is
an error naming the file and line: it is never passed through as text. As in Ruby, tags inside
YAML comments are evaluated too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from kamal_tasks.errors import ErbError

SUPPORTED = (
    "kamal-tasks supports only <%= ENV['X'] %>, <%= ENV.fetch('X') %>, "
    "<%= ENV.fetch('X', 'default') %> and <%= ENV['X'] || 'default' %>"
)

_SINGLE = r"'(?:[^'\\]|\\.)*'"
_DOUBLE = r'"(?:[^"\\#]|\\[\\"#ntsrea]|\#(?![{@$]))*"'
_STRING = rf"(?:{_SINGLE}|{_DOUBLE})"
_LITERAL = rf"(?:{_STRING}|-?\d+|nil)"
_EXPRESSION = re.compile(
    rf"""\s*(?:
        ENV\s*\[\s*(?P<index>{_STRING})\s*\]
      | ENV\.fetch\s*\(\s*(?P<key>{_STRING})\s*
          (?:,\s*(?P<default>{_LITERAL})\s*)?\)
          (?:\s*\{{\s*(?P<block>{_LITERAL})\s*\}})?
    )(?:\s*\|\|\s*(?P<fallback>{_LITERAL}))?\s*""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "s": " ", "r": "\r", "e": "\x1b", "a": "\a"}


def render(text: str, env: Mapping[str, str], source: str | Path = "config/deploy.yml") -> str:
    """``text`` with every ERB tag evaluated against ``env`` (raises ``ErbError``)."""
    out: list[str] = []
    position = 0
    while (start := text.find("<%", position)) != -1:
        out.append(text[position:start])
        line = text.count("\n", 0, start) + 1
        if text.startswith("<%%", start):
            out.append("<%")
            position = start + 3
            continue
        end = text.find("%>", start + 2)
        if end == -1:
            raise ErbError(str(source), line, "ERB tag <% is never closed with %>")
        out.append(_tag(text[start : end + 2], env, str(source), line))
        position = end + 2
    out.append(text[position:])
    return "".join(out)


def _tag(tag: str, env: Mapping[str, str], source: str, line: int) -> str:
    """The output of one ``<%...%>`` tag."""
    if tag.startswith("<%#"):
        return ""
    match = _EXPRESSION.fullmatch(tag[3:-2]) if tag.startswith("<%=") else None
    if match is None:
        problem = f"unsupported ERB {_excerpt(tag)}: {SUPPORTED}"
        if tag.startswith("<%-") or tag.endswith("-%>"):
            problem += " (Kamal's ERB has no trim mode: <%- and -%> are not trim markers)"
        raise ErbError(source, line, problem)
    return evaluate(match, env, source, line)


def evaluate(match: re.Match[str], env: Mapping[str, str], source: str, line: int) -> str:
    """The value of a matched ENV expression, as Ruby's ``to_s`` would print it."""
    value: str | None
    if match["index"] is not None:
        value = env.get(_string(match["index"]))
    else:
        name = _string(match["key"])
        default = match["block"] or match["default"]
        if name not in env and default is None:
            raise ErbError(
                source,
                line,
                f'ENV.fetch({match["key"]}): key not found: "{name}" '
                "(set it in the environment or .kamal/.env)",
            )
        value = env[name] if name in env else _literal(default)
    if value is None and match["fallback"] is not None:
        value = _literal(match["fallback"])
    return "" if value is None else value


def _literal(text: str) -> str | None:
    """A Ruby literal's string value: quoted strings unescaped, integers as digits, nil."""
    if text == "nil":
        return None
    if text.startswith(("'", '"')):
        return _string(text)
    return str(int(text))


def _string(text: str) -> str:
    """A quoted Ruby string literal's value (single quotes: only ``\\\\`` and ``\\'``)."""
    if text.startswith("'"):
        return re.sub(r"\\([\\'])", r"\1", text[1:-1])
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], m[1]), text[1:-1], flags=re.S)


def _excerpt(tag: str, limit: int = 60) -> str:
    """The tag on one line, shortened to ``limit`` characters."""
    flat = " ".join(tag.split())
    return flat if len(flat) <= limit else flat[: limit - 4] + " ...%>"
