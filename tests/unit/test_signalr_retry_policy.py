"""RetryPolicy's rules and waits, computed without sending or waiting.

The rules per operation are the Management SDK's: azure-signalr
src/Microsoft.Azure.SignalR.Management/DependencyInjectionExtensions.cs
(IsTransientErrorAndIdempotentForMessageApi, IsTransientErrorForNonMessageApi).
"""

from __future__ import annotations

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from signalr.rest import RetryPolicy

POLICY = RetryPolicy.default()


def test_the_first_retry_waits_backoff_plus_jitter() -> None:
    waits = {RetryPolicy.default(backoff=0.5).wait(1) for _ in range(50)}

    assert all(0.5 <= wait <= 1.0 for wait in waits)
    assert len(waits) > 1


@pytest.mark.parametrize(("failures", "base"), [(1, 0.5), (2, 1.0), (3, 2.0)])
def test_waits_start_at_backoff_and_double_with_up_to_backoff_of_jitter(
    failures: int, base: float
) -> None:
    policy = RetryPolicy.default(attempts=5, backoff=0.5, max_wait=60)

    assert all(base <= policy.wait(failures) <= base + 0.5 for _ in range(50))


def test_no_wait_is_longer_than_max_wait() -> None:
    assert RetryPolicy.default(backoff=1.0, max_wait=3.0).wait(6) == 3.0


@pytest.mark.parametrize(("header", "seconds"), [("2", 2), ("3600", 5), ("0", 0)])
def test_retry_after_is_waited_for_up_to_max_wait(header: str, seconds: int) -> None:
    assert RetryPolicy.default(max_wait=5).wait(1, header) == seconds


def test_a_retry_after_date_falls_back_to_the_backoff() -> None:
    wait = RetryPolicy.default(backoff=0.1).wait(1, "Wed, 21 Oct 2015 07:28:00 GMT")

    assert 0.1 <= wait <= 0.2


@pytest.mark.parametrize("status", [501, 502, 503, 504, 599])
def test_a_send_is_retried_only_above_500_as_the_sdks_message_api(status: int) -> None:
    assert POLICY.retries_status(status, message=True)


@pytest.mark.parametrize("status", [400, 404, 408, 413, 429, 500])
def test_a_send_that_may_have_landed_or_was_refused_is_not_retried(status: int) -> None:
    assert not POLICY.retries_status(status, message=True)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_other_operations_are_retried_on_5xx_and_408_as_the_sdks_non_message_api(
    status: int,
) -> None:
    assert POLICY.retries_status(status, message=False)


@pytest.mark.parametrize("status", [400, 401, 404, 409, 429])
def test_other_operations_are_not_retried_on_4xx(status: int) -> None:
    assert not POLICY.retries_status(status, message=False)


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize("message", [True, False])
def test_a_connection_never_opened_is_retried_for_every_operation(message: bool) -> None:
    assert POLICY.retries_error(refused(), message=message)
    assert POLICY.retries_error(requests.ConnectTimeout(), message=message)


@pytest.mark.parametrize(
    "error",
    [requests.ReadTimeout(), requests.ConnectionError(ProtocolError("Connection aborted."))],
)
def test_a_send_without_an_answer_is_not_retried_but_an_idempotent_call_is(
    error: requests.RequestException,
) -> None:
    assert not POLICY.retries_error(error, message=True)
    assert POLICY.retries_error(error, message=False)


@pytest.mark.parametrize(
    "arguments", [{"attempts": -1}, {"backoff": -0.1}, {"max_wait": -1}, {"budget": 0}]
)
def test_negative_settings_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy.default(**arguments)  # type: ignore[arg-type]
