"""How failures of Cosmos DB are told apart (pure logic: the outcome rules and the breaker);
the same rules against real stalled and stopped servers are in the integration tests."""

from __future__ import annotations

import logging

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import CosmosHttpResponseError

from chat.domain.errors import Misconfigured, StoreOutcomeUnknown, StoreUnavailable
from shared.breaker import Breaker
from storage.cosmos.container import _failures_reported

SECRET = "C2y6yDjf5-not-a-real-key"


def failure_of(error: Exception, *, writing: bool) -> tuple[BaseException, list[str]]:
    """What ``_failures_reported`` turns ``error`` into, and the outages it reported."""
    outages: list[str] = []
    try:
        with _failures_reported(writing=writing, outage=lambda: outages.append("outage")):
            raise error
    except Exception as failure:  # whatever comes out is the result
        return failure, outages
    raise AssertionError("the error was swallowed")


def http_error(status: int) -> CosmosHttpResponseError:
    return CosmosHttpResponseError(  # type: ignore[no-untyped-call]
        status_code=status, message=f"refused {SECRET}"
    )


@pytest.mark.parametrize("status", [429, 503])
def test_a_refused_or_unavailable_read_is_store_unavailable(status: int) -> None:
    failure, _ = failure_of(http_error(status), writing=False)

    assert type(failure) is StoreUnavailable


def test_throttling_means_the_write_did_not_happen() -> None:
    failure, outages = failure_of(http_error(429), writing=True)

    assert type(failure) is StoreUnavailable
    assert outages == []


@pytest.mark.parametrize(
    "error", [http_error(408), http_error(500), ServiceResponseError("no answer")]
)
def test_a_write_with_no_clear_answer_may_have_happened(error: Exception) -> None:
    failure, outages = failure_of(error, writing=True)

    assert isinstance(failure, StoreOutcomeUnknown)
    assert outages == ["outage"]


def test_a_write_that_was_never_sent_did_not_happen() -> None:
    failure, outages = failure_of(ServiceRequestError("connection refused"), writing=True)

    assert type(failure) is StoreUnavailable
    assert outages == ["outage"]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refusal_of_docchat_itself_is_misconfiguration_logged_without_secrets(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="storage.cosmos.container"):
        failure, _ = failure_of(http_error(status), writing=True)

    assert isinstance(failure, Misconfigured)
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert SECRET not in caplog.text
    assert SECRET not in str(failure)


def test_any_other_4xx_is_docchats_own_mistake_and_passes_through() -> None:
    failure, _ = failure_of(http_error(400), writing=True)

    assert isinstance(failure, CosmosHttpResponseError)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_fails_fast_for_its_cooldown_after_an_outage_then_lets_calls_through() -> None:
    clock = FakeClock()
    breaker = Breaker(lambda: StoreUnavailable("down"), cooldown=1.0, clock=clock)
    breaker.check()

    breaker.opened()
    with pytest.raises(StoreUnavailable):
        breaker.check()
    clock.now += 1.0
    breaker.check()


def test_a_success_closes_the_breaker_at_once() -> None:
    breaker = Breaker(lambda: StoreUnavailable("down"), cooldown=60, clock=FakeClock())
    breaker.opened()

    breaker.closed()

    assert not breaker.is_open


def test_after_the_cooldown_one_call_probes_while_the_others_still_fail_fast() -> None:
    """Every worker that took a request after the cooldown used to wait a whole timeout on
    a still-stalled Cosmos DB, and each request queued behind it as long again."""
    clock = FakeClock()
    breaker = Breaker(lambda: StoreUnavailable("down"), cooldown=1.0, clock=clock)
    breaker.opened()
    clock.now += 1.0

    with breaker.trial() as probing:
        assert probing
        with pytest.raises(StoreUnavailable), breaker.trial():
            pass
        breaker.opened()  # the probe found it still down
    with pytest.raises(StoreUnavailable), breaker.trial():
        pass
    clock.now += 1.0
    with breaker.trial():
        pass  # the probe got an answer: the service is back
    with breaker.trial(), breaker.trial():
        pass  # closed: calls go through together again


def test_a_closed_breaker_lets_calls_through_together() -> None:
    breaker = Breaker(lambda: StoreUnavailable("down"), cooldown=1.0, clock=FakeClock())

    with breaker.trial() as one, breaker.trial() as two:
        assert (one, two) == (False, False)
