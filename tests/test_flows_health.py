"""The health wait: Kamal's back-off, dead states failing at once, and ``parse_status``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kamal_tasks.flows.health import ContainerUnhealthy, Poller, parse_status


def statuses(*answers: str) -> tuple[Callable[[], str], list[str]]:
    """A status function answering ``answers`` in turn (the last one forever)."""
    asked: list[str] = []
    queue = list(answers)

    def status() -> str:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        asked.append(answer)
        return answer

    return status, asked


def poller(max_attempts: int, sleeps: list[float], reports: list[str] | None = None) -> Poller:
    return Poller(
        max_attempts=max_attempts,
        sleep=sleeps.append,
        report=(reports if reports is not None else []).append,
    )


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("running healthy", ("running", "healthy")),
        ("running starting\n", ("running", "starting")),
        ("exited unhealthy", ("exited", "unhealthy")),
        ("running", ("running", "")),
        ("  exited  \n", ("exited", "")),
        ("", ("", "")),
    ],
)
def test_parse_status(text: str, parsed: tuple[str, str]) -> None:
    assert parse_status(text) == parsed


def test_back_off_sleeps_one_two_three_until_healthy() -> None:
    sleeps: list[float] = []
    reports: list[str] = []
    status, asked = statuses("running starting", "running starting", "running starting",
                             "running healthy")  # fmt: skip
    poller(7, sleeps, reports).wait_for_healthy(
        status, readiness_delay=9, host="h1", container="app-web-1"
    )
    assert sleeps == [1, 2, 3]  # healthy: no readiness_delay
    assert len(asked) == 4
    assert reports[0] == "container not ready (starting), retrying in 1s (attempt 1/7)..."
    assert reports[-1] == "Container is healthy!"


def test_back_off_gives_up_after_max_attempts() -> None:
    sleeps: list[float] = []
    status, asked = statuses("running unhealthy")
    with pytest.raises(ContainerUnhealthy) as caught:
        poller(4, sleeps).wait_for_healthy(
            status, readiness_delay=0, host="h1", container="app-web-1"
        )
    assert sleeps == [1, 2, 3, 4]
    assert len(asked) == 5
    assert str(caught.value) == "app-web-1 on h1 not ready (unhealthy)"


def test_running_without_healthcheck_waits_readiness_delay() -> None:
    sleeps: list[float] = []
    status, asked = statuses("running")
    poller(7, sleeps).wait_for_healthy(status, readiness_delay=7, host="h1", container="c")
    assert sleeps == [7]
    assert asked == ["running"]


def test_created_then_running_without_healthcheck() -> None:
    sleeps: list[float] = []
    status, _ = statuses("created", "running")
    poller(7, sleeps).wait_for_healthy(status, readiness_delay=3, host="h1", container="c")
    assert sleeps == [1, 3]


@pytest.mark.parametrize("answer", ["exited", "exited unhealthy", "dead", "removing", ""])
def test_dead_container_fails_at_once(answer: str) -> None:
    sleeps: list[float] = []
    status, asked = statuses(answer)
    with pytest.raises(ContainerUnhealthy) as caught:
        poller(7, sleeps).wait_for_healthy(status, readiness_delay=7, host="h1", container="c")
    assert len(asked) == 1
    assert sleeps == []
    state = answer.split(" ")[0]
    assert caught.value.status == state
    assert str(caught.value) == f"c on h1 not ready ({state or 'gone'})"


def test_exits_while_starting_fails_without_further_retries() -> None:
    sleeps: list[float] = []
    status, asked = statuses("running starting", "exited unhealthy", "running healthy")
    with pytest.raises(ContainerUnhealthy):
        poller(7, sleeps).wait_for_healthy(status, readiness_delay=0, host="h1", container="c")
    assert asked == ["running starting", "exited unhealthy"]
    assert sleeps == [1]


def test_unhealthy_details_follow_the_message() -> None:
    error = ContainerUnhealthy("h1", "app-web-1", "unhealthy", details="Logs of app-web-1:\nboom")
    assert str(error) == "app-web-1 on h1 not ready (unhealthy)\nLogs of app-web-1:\nboom"


def test_wait_for_unhealthy_pauses_once_unhealthy() -> None:
    sleeps: list[float] = []
    status, asked = statuses("running healthy", "running healthy", "running unhealthy")
    assert poller(7, sleeps).wait_for_unhealthy(status, pause=2) is True
    assert sleeps == [1, 2, 2]
    assert len(asked) == 3


def test_wait_for_unhealthy_accepts_a_stopped_container() -> None:
    sleeps: list[float] = []
    status, _ = statuses("exited")
    assert poller(7, sleeps).wait_for_unhealthy(status, pause=5) is True
    assert sleeps == [5]


def test_wait_for_unhealthy_gives_up_without_pause() -> None:
    sleeps: list[float] = []
    status, asked = statuses("running healthy")
    assert poller(2, sleeps).wait_for_unhealthy(status, pause=5) is False
    assert sleeps == [1, 2]
    assert len(asked) == 3
