"""How long a consumer may spend on one record, and the poll interval derived from it.

Kafka evicts a consumer from its group when it does not poll within
``max_poll_interval_ms``: its partitions go to another member, which fetches the
records in hand again. A record still being retried would then be retried, and
parked, twice. So the interval is derived from the retry budget, and the runner starts
a record only while the budget of one more record still fits before the deadline (the
rest of what it fetched is fetched again at the next poll).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryBudget:
    """A consumer's handling of one record: ``max_attempts`` tries of at most
    ``attempt_timeout`` seconds each, with a doubling back-off between them from
    ``backoff_initial`` up to ``backoff_max`` seconds."""

    max_attempts: int
    attempt_timeout: float
    backoff_initial: float
    backoff_max: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.attempt_timeout, self.backoff_initial, self.backoff_max) <= 0:
            raise ValueError("the attempt timeout and the back-off must be positive")

    def backoffs(self) -> list[float]:
        """The sleeps between the attempts, in order (one fewer than the attempts)."""
        return [
            min(self.backoff_initial * 2**i, self.backoff_max) for i in range(self.max_attempts - 1)
        ]

    @property
    def record_seconds(self) -> float:
        """The longest one record can take before it is applied or given up on."""
        return self.max_attempts * self.attempt_timeout + sum(self.backoffs())

    @property
    def max_poll_interval_seconds(self) -> float:
        """One record's budget, plus one attempt's worth for parking it and committing."""
        return self.record_seconds + self.attempt_timeout

    @property
    def max_poll_interval_ms(self) -> int:
        return math.ceil(self.max_poll_interval_seconds * 1000)

    def room_for_another(self, since_poll: float) -> bool:
        """Whether a record started ``since_poll`` seconds after the last poll is
        sure to be done before the consumer must poll again."""
        return since_poll + self.record_seconds <= self.max_poll_interval_seconds
