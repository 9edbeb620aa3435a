"""The answer models of chat.api.outputs against the bodies made without them: a message's
and a user's form (broadcasts send them too), every error's, and both backends' negotiate
answers (made where pydantic must not load). Each body must be exactly what its model, and
so the OpenAPI description, says: the model reads it and gives back the same bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from chat.api import outputs
from chat.api.failures import answer
from chat.app.presence import user_json
from chat.domain.changes import deleted, edited, with_reaction
from chat.domain.errors import (
    ChatError,
    Forbidden,
    HistoryFull,
    MaybeStored,
    NotDelivered,
    RateLimited,
    RevocationIncomplete,
    Unauthenticated,
)
from chat.domain.messages import Message, Page, Thread
from chat.domain.users import User
from chat.settings import AuthMode
from realtime.signalr_tokens import SignedTokens
from realtime.webpubsub_rest import WebPubSubRest
from realtime.webpubsub_settings import load_webpubsub_settings
from shared.connection_string import parse_connection_string

ALICE = User("alice-id", "Alice")
ACCESS_KEY = "outputs-test-access-key-0123456789abcdef"
ENDPOINT = f"Endpoint=http://127.0.0.1:8888;AccessKey={ACCESS_KEY};"
POSTED = Message("m-1", "doc-1", "alice-id", "Alice", "hi", "2026-01-01T00:00:00.000Z", 1, 1)
RESOLVED = Thread(
    reply_count=2,
    last_reply_at="2026-01-01T00:00:02.000Z",
    participants=(("bob-id", "Bob"), ("alice-id", "Alice")),
    resolved=True,
    resolved_by=("alice-id", "Alice"),
    resolved_at="2026-01-01T00:00:03.000Z",
    repliers=(("bob-id", "2026-01-01T00:00:02.000Z"),),
)
ROOT = Message(
    "m-2",
    "doc-1",
    "alice-id",
    "Alice",
    "see @bob",
    "2026-01-01T00:00:00.000Z",
    2,
    5,
    thread=RESOLVED,
    anchor={"quote": "a line", "offset": 12},
    mentions=("bob-id",),
)
REPLY = Message(
    "m-3", "doc-1", "bob-id", "Bob", "ok", "2026-01-01T00:00:02.000Z", 3, 3, thread_id="m-2"
)
FORMS = [
    POSTED,
    edited(POSTED, ALICE, "hello", "2026-01-01T00:00:01.000Z"),
    with_reaction(POSTED, ALICE, "👍"),
    deleted(POSTED, ALICE),
    ROOT,
    REPLY,
]
FORM_NAMES = ["posted", "edited", "reacted", "tombstone", "root", "reply"]


def same_bytes(model: type[BaseModel], body: Any) -> bool:
    read = model.model_validate(body)
    assert isinstance(read, outputs.Answer)
    return json.dumps(read.body()) == json.dumps(body)


@pytest.mark.parametrize("message", FORMS, ids=FORM_NAMES)
def test_every_form_of_a_message_is_its_model_to_the_byte(message: Message) -> None:
    assert same_bytes(outputs.Message, message.to_json())
    assert outputs.Message.of(message).body() == message.to_json()


@pytest.mark.parametrize("token", [None, "next-page"])
def test_a_page_made_without_the_models_is_its_model_to_the_byte(token: str | None) -> None:
    body = outputs.Page.body_of(Page(FORMS, token))

    assert same_bytes(outputs.Page, body)
    assert [item["id"] for item in body["items"]] == [message.id for message in FORMS]


def test_a_user_is_its_model() -> None:
    assert same_bytes(outputs.User, user_json(ALICE))


@pytest.mark.parametrize(
    "error",
    [
        Forbidden("no"),
        Unauthenticated("sign in", challenge="Bearer"),
        RateLimited("too fast", retry_after=3),
        MaybeStored("m-1", retry_after=1),
        NotDelivered("m-1", retry_after=1),
        HistoryFull("m-1", stored=None),
        RevocationIncomplete(retry_after=1),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_kind_of_error_body_is_the_error_model(error: ChatError) -> None:
    assert same_bytes(outputs.Error, answer(error).body)


def test_signalr_negotiate_answers_a_url_and_an_access_token() -> None:
    body = SignedTokens(parse_connection_string(ENDPOINT)).connection_for(ALICE)

    assert same_bytes(outputs.NegotiateResponse, body)
    assert set(body) == {"url", "accessToken"}


def test_web_pubsub_negotiate_answers_only_a_url() -> None:
    settings = load_webpubsub_settings({"WebPubSubConnectionString": ENDPOINT}, AuthMode.DEV)
    body = WebPubSubRest(settings).negotiator().connection_for(ALICE)

    assert same_bytes(outputs.NegotiateResponse, body)
    assert set(body) == {"url"}
