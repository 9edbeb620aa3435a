"""RetryPolicy's waits, computed without waiting: backoff growth, jitter and the caps."""

from __future__ import annotations

import pytest
from urllib3.exceptions import MaxRetryError, ProtocolError

from signalr.rest import RetryPolicy


def after_failures(policy: RetryPolicy, failures: int) -> RetryPolicy:
    for _ in range(failures):
        policy = policy.increment(method="POST", url="/api/hubs/chat/:send", error=ProtocolError())
    return policy


def test_no_wait_before_the_first_try() -> None:
    assert RetryPolicy.default(backoff=0.5).get_backoff_time() == 0.0


@pytest.mark.parametrize(("failures", "base"), [(1, 0.5), (2, 1.0), (3, 2.0)])
def test_waits_start_at_backoff_and_double_with_up_to_backoff_of_jitter(
    failures: int, base: float
) -> None:
    policy = after_failures(RetryPolicy.default(attempts=5, backoff=0.5, max_wait=60), failures)

    waits = {policy.get_backoff_time() for _ in range(50)}

    assert all(base <= wait <= base + 0.5 for wait in waits)
    assert len(waits) > 1


def test_no_wait_is_longer_than_max_wait() -> None:
    policy = after_failures(RetryPolicy.default(attempts=10, backoff=1.0, max_wait=3.0), 6)

    assert policy.get_backoff_time() == 3.0


@pytest.mark.parametrize(("header", "seconds"), [("2", 2), ("3600", 5), ("0", 0)])
def test_retry_after_is_capped_at_max_wait(header: str, seconds: int) -> None:
    assert RetryPolicy.default(max_wait=5).parse_retry_after(header) == seconds


def test_every_method_and_429_and_5xx_are_retried() -> None:
    policy = RetryPolicy.default()

    for method in ("POST", "PUT", "DELETE", "HEAD"):
        for status in (429, 500, 502, 503, 504):
            assert policy.is_retry(method, status)
        for status in (400, 401, 403, 404, 409, 413, 501):
            assert not policy.is_retry(method, status)


def test_attempts_bound_the_retries() -> None:
    policy = after_failures(RetryPolicy.default(attempts=2), 2)

    with pytest.raises(MaxRetryError):
        after_failures(policy, 1)
