"""The ERB subset Kamal 1.x configuration files use: ENV lookups, rendered before the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import kamal
from hypothesis import given
from hypothesis import strategies as st

from kamal_tasks.configuration import Config
from kamal_tasks.configuration.erb import ErbError, render
from kamal_tasks.configuration.loader import load_raw

ENV = {"SERVER_IP": "10.0.0.5", "EMPTY": "", "QUOTE": 'it\'s "x"'}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<%= ENV['SERVER_IP'] %>", "10.0.0.5"),
        ('<%= ENV["SERVER_IP"] %>', "10.0.0.5"),
        ("<%=ENV['SERVER_IP']%>", "10.0.0.5"),
        ("<%= ENV['MISSING'] %>", ""),
        ("<%= ENV.fetch('SERVER_IP') %>", "10.0.0.5"),
        ('<%= ENV.fetch("SERVER_IP", "x") %>', "10.0.0.5"),
        ("<%= ENV.fetch('MISSING', 'fallback') %>", "fallback"),
        ("<%= ENV.fetch('MISSING', 3000) %>", "3000"),
        ("<%= ENV.fetch('MISSING', nil) %>", ""),
        ("<%= ENV.fetch('MISSING') { 'block' } %>", "block"),
        ("<%= ENV['MISSING'] || 'default' %>", "default"),
        ("<%= ENV['SERVER_IP'] || 'default' %>", "10.0.0.5"),
        # Ruby: an empty string is truthy, so || keeps it
        ("<%= ENV['EMPTY'] || 'default' %>", ""),
        ("<%= ENV['QUOTE'] %>", 'it\'s "x"'),
        ("<%= ENV['MISSING'] || 'it\\'s' %>", "it's"),
        ('<%= ENV["MISSING"] || "a\\tb\\\\c" %>', "a\tb\\c"),
        ("a <%# a comment %>b", "a b"),
        ("<%%= literal %>", "<%= literal %>"),
        ("host: <%= ENV['SERVER_IP'] %>:<%= ENV.fetch('PORT', '22') %>\n", "host: 10.0.0.5:22\n"),
        ("no tags %> here", "no tags %> here"),
    ],
)
def test_supported_forms_render_as_ruby_would(template: str, expected: str) -> None:
    assert render(template, ENV) == expected


def test_fetch_without_default_of_a_missing_variable_names_it_the_file_and_line() -> None:
    with pytest.raises(ErbError) as raised:
        render("service: app\nimage: <%= ENV.fetch('IMAGE') %>\n", ENV, "config/deploy.yml")
    assert str(raised.value) == (
        "config/deploy.yml:2: ENV.fetch('IMAGE'): key not found: \"IMAGE\" "
        "(set it in the environment or .kamal/.env)"
    )


SUPPORTED = (
    "kamal-tasks supports only <%= ENV['X'] %>, <%= ENV.fetch('X') %>, "
    "<%= ENV.fetch('X', 'default') %> and <%= ENV['X'] || 'default' %>"
)
TRIM = " (Kamal's ERB has no trim mode: <%- and -%> are not trim markers)"


@pytest.mark.parametrize(
    ("template", "shown", "hint"),
    [
        ("<% if ENV['X'] %>", "<% if ENV['X'] %>", ""),
        ("<% ENV['X'] %>", "<% ENV['X'] %>", ""),
        ("<%= `hostname` %>", "<%= `hostname` %>", ""),
        ("<%= ENV['X'].upcase %>", "<%= ENV['X'].upcase %>", ""),
        ('<%= ENV["#{name}"] %>', '<%= ENV["#{name}"] %>', ""),
        ("<%= 1 + 1 %>", "<%= 1 + 1 %>", ""),
        ("<%= %>", "<%= %>", ""),
        ("<%= ENV['X'] -%>", "<%= ENV['X'] -%>", TRIM),
        ("<%- ENV['X'] %>", "<%- ENV['X'] %>", TRIM),
        ("<%= File.read('/etc/passwd') %>", "<%= File.read('/etc/passwd') %>", ""),
    ],
)
def test_anything_else_is_an_error_naming_file_and_line(
    template: str, shown: str, hint: str
) -> None:
    with pytest.raises(ErbError) as raised:
        render(f"service: app\n\nimage: {template}\n", ENV, "config/deploy.yml")
    assert str(raised.value) == f"config/deploy.yml:3: unsupported ERB {shown}: {SUPPORTED}{hint}"


def test_a_long_tag_is_shortened_to_one_line() -> None:
    with pytest.raises(ErbError) as raised:
        render(
            "<% [1,\n 2].each do |n|\n puts n * 1000000000000000000000000000000000000 end %>", {}
        )
    message = str(raised.value)
    assert message.startswith("config/deploy.yml:1: unsupported ERB <% [1, 2].each do |n| puts")
    assert " ...%>: kamal-tasks supports only" in message
    assert "\n" not in message


def test_an_unclosed_tag_is_an_error() -> None:
    with pytest.raises(ErbError) as raised:
        render("a: 1\nb: <%= ENV['X']\n", ENV, "config/deploy.staging.yml")
    assert str(raised.value) == "config/deploy.staging.yml:2: ERB tag <% is never closed with %>"


def test_tags_in_yaml_comments_are_evaluated_as_in_ruby() -> None:
    with pytest.raises(ErbError):
        render("# <% if production %>\nservice: app\n", ENV)


@given(st.text().filter(lambda text: "<%" not in text))
def test_text_without_tags_is_unchanged(text: str) -> None:
    assert render(text, ENV) == text


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    st.from_regex(r"[A-Z_][A-Z0-9_]{0,20}", fullmatch=True),
)
def test_any_value_comes_through_verbatim(value: str, name: str) -> None:
    for template in (f"<%= ENV['{name}'] %>", f'<%= ENV.fetch("{name}") %>'):
        assert render(f"[{template}]", {name: value}) == f"[{value}]"


# --- in the loader -------------------------------------------------------------------------------

DEPLOY_YML = """\
service: app
image: <%= ENV['REGISTRY_USERNAME'] %>/app
servers:
  - <%= ENV['SERVER_IP'] %>
registry:
  username: <%= ENV.fetch('REGISTRY_USERNAME') %>
  password:
    - KAMAL_REGISTRY_PASSWORD
"""


def test_the_loader_renders_the_base_and_destination_files(tmp_path: Path) -> None:
    config_file = tmp_path / "deploy.yml"
    config_file.write_text(DEPLOY_YML)
    (tmp_path / "deploy.staging.yml").write_text("servers:\n  - <%= ENV['STAGING_IP'] %>\n")
    env = {"REGISTRY_USERNAME": "dhh", "SERVER_IP": "1.1.1.1", "STAGING_IP": "2.2.2.2"}
    assert load_raw(config_file, None, env)["servers"] == ["1.1.1.1"]
    raw = load_raw(config_file, "staging", env)
    assert (raw["image"], raw["servers"], raw["registry"]["username"]) == (
        "dhh/app",
        ["2.2.2.2"],
        "dhh",
    )


def test_config_load_reads_erb_env_from_env_values(tmp_path: Path) -> None:
    config_file = tmp_path / "deploy.yml"
    config_file.write_text(DEPLOY_YML)
    env = {"REGISTRY_USERNAME": "dhh", "SERVER_IP": "1.1.1.1"}
    config = Config.load(config_file, version="1", env_values=env)
    assert (config.image, config.hosts) == ("dhh/app", ["1.1.1.1"])


def test_the_cli_renders_with_kamal_env_values_and_the_process_environment(
    tmp_path: Path,
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    (tmp_path / ".kamal").mkdir()
    (tmp_path / ".kamal/.env").write_text(
        "KAMAL_REGISTRY_PASSWORD=pw\nSERVER_IP=3.3.3.3\nREGISTRY_USERNAME=from-dotenv\n"
    )
    done = kamal(tmp_path, "config", "--version", "1", REGISTRY_USERNAME="from-process")
    assert done.returncode == 0, done.stderr
    assert "image: from-process/app\n" in done.stdout
    assert "- 3.3.3.3\n" in done.stdout
    assert "<%" not in done.stdout


def test_the_cli_reports_a_missing_fetch_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(DEPLOY_YML)
    done = kamal(tmp_path, "config", "--version", "1", SERVER_IP="1.1.1.1")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"ERROR: {tmp_path / 'config/deploy.yml'}:6: ENV.fetch('REGISTRY_USERNAME'): "
        'key not found: "REGISTRY_USERNAME" (set it in the environment or .kamal/.env)\n'
    )
