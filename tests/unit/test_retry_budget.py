"""A consumer's max_poll_interval_ms is derived from its retry budget, so a record being
retried (and then parked) never makes Kafka evict the consumer mid-record."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from synergia_shared.bus import Bus
from synergia_shared.messaging.inbox import ConsumerRunner, InboxConsumer
from synergia_shared.messaging.retry_budget import RetryBudget
from synergia_shared.settings import ServiceSettings


def test_the_back_off_doubles_up_to_its_maximum_between_attempts() -> None:
    budget = RetryBudget(max_attempts=6, attempt_timeout=1, backoff_initial=0.5, backoff_max=3)
    assert budget.backoffs() == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_record_may_take_every_attempt_timing_out_plus_the_back_off() -> None:
    budget = RetryBudget(max_attempts=5, attempt_timeout=30, backoff_initial=0.2, backoff_max=5)
    assert budget.record_seconds == pytest.approx(5 * 30 + 0.2 + 0.4 + 0.8 + 1.6)
    # ... and the poll interval leaves one more attempt's time to park it and commit.
    assert budget.max_poll_interval_ms == 183_000


def test_a_record_is_started_only_while_its_whole_budget_fits_before_the_next_poll() -> None:
    budget = RetryBudget(max_attempts=3, attempt_timeout=10, backoff_initial=1, backoff_max=1)
    assert budget.record_seconds == 32
    assert budget.room_for_another(0)
    assert budget.room_for_another(10)  # 10 + 32 = the 42 s interval: still in time
    assert not budget.room_for_another(10.5)
    # The worst case of every record started in time ends before the deadline.
    assert 10 + budget.record_seconds <= budget.max_poll_interval_seconds


@pytest.mark.parametrize(
    "values",
    [
        {"max_attempts": 0, "attempt_timeout": 1, "backoff_initial": 1, "backoff_max": 1},
        {"max_attempts": 1, "attempt_timeout": 0, "backoff_initial": 1, "backoff_max": 1},
    ],
)
def test_a_budget_without_room_for_an_attempt_is_refused(values: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryBudget(**values)  # type: ignore[arg-type]


def test_the_setting_is_derived_from_the_retry_settings() -> None:
    settings = ServiceSettings(
        database_url="postgresql+asyncpg://u@h/x",
        consumer_max_attempts=2,
        consumer_attempt_timeout_seconds=4,
        consumer_backoff_initial_seconds=1,
        consumer_backoff_max_seconds=1,
    )
    assert settings.consumer_max_poll_interval_ms == (2 * 4 + 1 + 4) * 1000
    assert (
        ServiceSettings(database_url="postgresql+asyncpg://u@h/x").consumer_max_poll_interval_ms
        == 183_000
    )


async def test_the_consumer_runner_hands_the_derived_interval_to_kafka() -> None:
    runner = ConsumerRunner(
        InboxConsumer(name="test.budget", topics=["registry.actor"], handlers={}),
        async_sessionmaker(),
        Bus("127.0.0.1:1", client_id="test"),
        max_attempts=3,
        attempt_timeout=2,
        backoff_initial=0.5,
        backoff_max=0.5,
    )
    assert runner.max_poll_interval_ms == (3 * 2 + 0.5 + 0.5 + 2) * 1000
    kafka = runner._new_kafka_consumer()
    assert kafka._max_poll_interval_ms == runner.max_poll_interval_ms
