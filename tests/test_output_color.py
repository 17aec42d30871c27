"""Colour on a terminal (per host, per level); none when piped or with NO_COLOR; timings."""

from __future__ import annotations

import io

import pytest

from kamal_tasks.output import HOST_COLORS, NORMAL, VERBOSE, Output, host_color


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")


def outputs(level: int = NORMAL) -> tuple[Output, Tty, Tty]:
    stream, errors = Tty(), Tty()
    return Output(level, stream=stream, errors=errors), stream, errors


def test_each_host_keeps_its_own_colour() -> None:
    assert host_color("1.1.1.1") == host_color("1.1.1.1") in HOST_COLORS
    colours = {host_color(f"10.0.0.{n}") for n in range(1, 30)}
    assert len(colours) > 3


def test_colours_per_host_and_level_on_a_terminal() -> None:
    output, stream, errors = outputs(VERBOSE)
    h = host_color("web1")
    output.info("Booting")
    output.host("web1", "Booted")
    output.command("web1", "docker ps")
    output.warning("careful")
    output.error("broken")
    output.plan("web1", "docker ps")
    output.result("plain result")
    assert errors.getvalue().splitlines() == [
        "\x1b[1mBooting\x1b[0m",
        f"  \x1b[{h}m[web1]\x1b[0m Booted",
        f"  \x1b[{h}m[web1]\x1b[0m \x1b[2m$ docker ps\x1b[0m",
        "\x1b[33mWARNING: careful\x1b[0m",
        "\x1b[31mbroken\x1b[0m",
    ]
    assert stream.getvalue().splitlines() == [f"\x1b[{h}m[web1]\x1b[0m docker ps", "plain result"]


def test_no_colour_when_piped() -> None:
    stream, errors = io.StringIO(), io.StringIO()
    output = Output(VERBOSE, stream=stream, errors=errors)
    output.info("Booting")
    output.host("web1", "Booted")
    output.plan("web1", "docker ps")
    assert "\x1b" not in stream.getvalue() + errors.getvalue()
    assert errors.getvalue() == "Booting\n  [web1] Booted\n"


def test_no_colour_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    output, stream, errors = outputs()
    output.info("Booting")
    output.plan("web1", "docker ps")
    assert (errors.getvalue(), stream.getvalue()) == ("Booting\n", "[web1] docker ps\n")


def test_timings_line() -> None:
    output = Output(stream=io.StringIO(), errors=(errors := io.StringIO()))
    output.timings("Boot time per host", {"h1": 4.21, "h2": 12.0})
    output.timings("Boot time per host", {})
    assert errors.getvalue() == "Boot time per host: [h1] 4.2s, [h2] 12.0s\n"
    quiet = Output(0, stream=io.StringIO(), errors=(silent := io.StringIO()))
    quiet.timings("Boot time per host", {"h1": 1.0})
    assert silent.getvalue() == ""


def test_error_line_is_red_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from kamal_tasks.task import error_line

    monkeypatch.setattr("sys.stderr", Tty())
    assert error_line("boom") == "\x1b[31mERROR: boom\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert error_line("boom") == "ERROR: boom"
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert error_line("boom") == "ERROR: boom"
