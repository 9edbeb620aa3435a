"""The SignalR client tokens docchat signs (REST mode): for the user, within the sign-in, and
taken back by negotiate only when they are docchat's own, still valid, and bounded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from chat.domain.users import User
from realtime.settings import HUB
from realtime.signalr_tokens import SIGNED_IN_UNTIL_CLAIM, SignedTokens
from shared.connection_string import parse_connection_string
from signalr.tokens import client_connection_info

SIGNALR = parse_connection_string(
    "Endpoint=http://127.0.0.1:8888;AccessKey=tokens-test-signalr-key-0123456789;"
)


def until() -> int:
    """A sign-in that ends in ten minutes from now: read when a test runs, never at
    collection, so no test depends on how long the suite took to reach it."""
    return int(datetime.now(UTC).timestamp()) + 600


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def test_a_token_docchat_issued_within_a_sign_in_names_its_user_and_the_sign_ins_end() -> None:
    signed_in_until = until()
    issued = client_connection_info(
        SIGNALR, HUB, user_id="user-7", claims={SIGNED_IN_UNTIL_CLAIM: signed_in_until}
    ).access_token

    renewed = SignedTokens(SIGNALR).renewed_user(bearer(issued))

    assert renewed is not None
    assert (renewed.id, renewed.signed_in_until) == ("user-7", signed_in_until)


# Each token is made when its test runs, not at collection (see until()).
@pytest.mark.parametrize(
    "foreign",
    [
        lambda: client_connection_info(SIGNALR, HUB, user_id="user-7").access_token,
        lambda: (
            client_connection_info(
                SIGNALR, "otherhub", user_id="user-7", claims={SIGNED_IN_UNTIL_CLAIM: until()}
            ).access_token
        ),
        lambda: (
            client_connection_info(
                SIGNALR, HUB, claims={SIGNED_IN_UNTIL_CLAIM: until()}
            ).access_token
        ),
        lambda: (
            client_connection_info(
                parse_connection_string(
                    "Endpoint=http://127.0.0.1:8888;AccessKey=some-other-signalr-key-0123456789abcdef;"
                ),
                HUB,
                user_id="user-7",
                claims={SIGNED_IN_UNTIL_CLAIM: until()},
            ).access_token
        ),
        lambda: (
            client_connection_info(
                SIGNALR,
                HUB,
                user_id="user-7",
                claims={SIGNED_IN_UNTIL_CLAIM: until()},
                now=datetime.now(UTC) - timedelta(hours=2),
            ).access_token
        ),
        lambda: "not-a-token",
    ],
    ids=["no sign-in bound", "other hub", "no user", "other key", "expired", "garbage"],
)
def test_anything_else_renews_nothing(foreign: Callable[[], str]) -> None:
    """Without the bound, a client token could renew itself forever through negotiate."""
    assert SignedTokens(SIGNALR).renewed_user(bearer(foreign())) is None


def test_a_request_without_a_bearer_token_renews_nothing() -> None:
    assert SignedTokens(SIGNALR).renewed_user({}) is None


def test_a_token_for_a_sign_in_ends_with_it() -> None:
    signed_in_until = until()
    issued = SignedTokens(SIGNALR).connection_for(User("user-7", "U", signed_in_until))[
        "accessToken"
    ]

    renewed = SignedTokens(SIGNALR).renewed_user(bearer(issued))
    assert renewed is not None
    assert renewed.signed_in_until == signed_in_until
