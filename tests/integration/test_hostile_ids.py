"""Hostile ids through every route and every id position, on both real-time backends
(issue 26, findings 1 to 4 and deliver 1, 2 and 7).

Each id below breaks docchat's id rule (:func:`chat.domain.messages.path_segment_problem`): a path
step, edge whitespace, a line separator, a decoding artifact, a form that NFC or URL
decoding would change, a character Cosmos DB refuses. Wherever one is sent (a route value,
a body field, the principal header) the answer is a 4xx JSON error, and afterwards nothing
was stored: the document has no message and no member, and a valid request still works.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from chat.domain.messages import Message
from storage.cosmos.container import open_container
from storage.cosmos.settings import load_cosmos_settings
from storage.cosmos.store import CosmosMessageStore
from tests.fixtures.chat import ALICE
from tests.fixtures.functions_host import Answer, HostedApp
from tests.integration.chat_calls import HOSTILE_IDS as HOSTILE
from tests.integration.chat_calls import body_of, doc, post, principal
from tests.integration.conftest import LoadApp

#: Bytes that are not UTF-8, as a client can put them in a path (finding 4: all became
#: the document "\ufffd").
INVALID_UTF8 = ["%FF", "%FE", "%ED%A0%80", "%C0%AE"]
MESSAGE = "m-1"
EMOJI = "👍"


@dataclass(frozen=True)
class Position:
    """One place an id goes: the function, and how to put ``value`` there."""

    name: str
    function: str
    place: Callable[[str], dict[str, Any]]
    #: The answers that refuse: 400 unless the position says otherwise.
    refusals: frozenset[int] = field(default_factory=lambda: frozenset({400}))


def _route(function: str, key: str, **extra: Any) -> Position:
    """``value`` as route value ``key`` of ``function`` (the others valid)."""

    def place(value: str) -> dict[str, Any]:
        values = {"messageId": MESSAGE, "rootId": MESSAGE, "emoji": EMOJI, "userId": "bob-id"}
        values[key] = value
        return {"route_params": values, **extra}

    return Position(f"{function}:{key}", function, place)


def _document(function: str, **extra: Any) -> Position:
    def place(value: str) -> dict[str, Any]:
        params = {"messageId": MESSAGE, "rootId": MESSAGE, "emoji": EMOJI, "userId": "bob-id"}
        return {"document_id": value, "route_params": params, **extra}

    return Position(f"{function}:documentId", function, place)


def _body(function: str, key: str, base: dict[str, Any]) -> Position:
    return Position(f"{function}:body.{key}", function, lambda v: {"body": {**base, key: v}})


JOIN: dict[str, Any] = {"body": {"connectionId": "c-1"}}
TEXT: dict[str, Any] = {"body": {"text": "hi"}}
ROLE: dict[str, Any] = {"body": {"role": "reader"}}
RESOLVE: dict[str, Any] = {"body": {"resolved": True}}
POSITIONS: list[Position] = [
    _document("join_document", **JOIN),
    _document("leave_document", **JOIN),
    _document("send_message", **TEXT),
    _document("list_messages", method="GET"),
    _document("presence"),
    _document("edit_message", **TEXT),
    _document("delete_message", method="DELETE"),
    _document("delete_named_message", body={"messageId": MESSAGE}),
    _document("add_reaction", method="PUT"),
    _document("remove_reaction", method="DELETE"),
    _document("mark_read", method="PUT", body={"seq": 0}),
    _document("read_status", method="GET"),
    _document("send_service_message", body={"text": "hi", "senderId": "bot"}),
    _document("put_member", **ROLE),
    _document("remove_member", method="DELETE"),
    _document("list_members"),
    _document("get_thread", method="GET"),
    _document("list_threads", method="GET"),
    _document("resolve_thread", **RESOLVE),
    _route("edit_message", "messageId", **TEXT),
    # Messages stored before the rule (".", " x") can still be deleted: these ids are
    # looked up, safely, and found to be no message here.
    Position(
        "delete_message:messageId",
        "delete_message",
        _route("delete_message", "messageId", method="DELETE").place,
        frozenset({400, 404}),
    ),
    Position(
        "delete_named_message:body.messageId",
        "delete_named_message",
        _body("delete_named_message", "messageId", {}).place,
        frozenset({400, 404}),
    ),
    _route("add_reaction", "messageId", method="PUT"),
    _route("remove_reaction", "messageId", method="DELETE"),
    _route("add_reaction", "emoji", method="PUT"),
    _route("remove_reaction", "emoji", method="DELETE"),
    _route("put_member", "userId", **ROLE),  # finding 1: a member ".." cannot exist
    _route("remove_member", "userId", method="DELETE"),
    _body("join_document", "connectionId", {}),  # finding 3
    _body("leave_document", "connectionId", {}),
    _body("send_message", "id", {"text": "hi"}),  # finding 2
    _body("send_service_message", "id", {"text": "hi", "senderId": "bot"}),
    _body("send_service_message", "senderId", {"text": "hi"}),
    # Roots and replied-to messages are named as stored messages are (legacy ids too):
    # these are looked up, and found to be no message here.
    Position(
        "get_thread:rootId",
        "get_thread",
        _route("get_thread", "rootId", method="GET").place,
        frozenset({400, 404}),
    ),
    Position(
        "resolve_thread:rootId",
        "resolve_thread",
        _route("resolve_thread", "rootId", **RESOLVE).place,
        frozenset({400, 404}),
    ),
    _body("send_message", "replyTo", {"text": "hi"}),
    _body("send_service_message", "replyTo", {"text": "hi", "senderId": "bot"}),
]


def _refused(answer: Answer, allowed: frozenset[int]) -> str | None:
    """Why ``answer`` is not a refusal docchat gives, or None."""
    if answer.status_code not in allowed:
        return f"{answer.status_code} {answer.get_body()[:200]!r}"
    error = body_of(answer).get("error", {})
    if not error.get("code") or not error.get("message"):
        return f"no error code and message: {answer.get_body()[:200]!r}"
    return None


async def _nothing_stored(host: HostedApp, document_id: str) -> None:
    listed = await host.call("list_messages", document_id=document_id, headers=principal(ALICE))
    assert listed.status_code == 200, listed.get_body()
    assert body_of(listed)["items"] == []
    caught_up = await host.call(
        "list_messages",
        document_id=document_id,
        headers=principal(ALICE),
        params={"after": "YzE6MA"},  # the cursor before the first change: replies too
    )
    assert body_of(caught_up)["items"] == []
    members = await host.call("list_members", document_id=document_id)
    assert body_of(members)["members"] == [{"userId": ALICE.id, "role": "writer"}]


@pytest.mark.parametrize("backend", ["signalr", "webpubsub"])
async def test_every_id_position_of_every_route_refuses_every_hostile_id(
    load_app: LoadApp, backend: str
) -> None:
    # Ids a legacy message may have (".", " lead") are looked up, and so spend the posting
    # allowance: a burst that lasts the whole sweep.
    host = await load_app(
        DOCCHAT_ACCESS="members", DOCCHAT_REALTIME=backend, DOCCHAT_POST_BURST="100"
    )
    document = doc(f"hostile-{backend}")
    put = await host.call(
        "put_member",
        document_id=document,
        route_params={"userId": ALICE.id},
        body={"role": "writer"},
    )
    assert put.status_code == 201, put.get_body()
    wrong: list[str] = []
    for position in POSITIONS:
        for value in HOSTILE:
            call = {"document_id": document, "headers": principal(ALICE), **position.place(value)}
            answer = await host.call(position.function, **call)
            if (why := _refused(answer, position.refusals)) is not None:
                wrong.append(f"{position.name} {value!r}: {why}")

    assert wrong == []
    await _nothing_stored(host, document)
    posted = await host.call(
        "send_message", document_id=document, headers=principal(ALICE), body={"text": "ok"}
    )
    assert posted.status_code == 201


@pytest.mark.parametrize("backend", ["signalr", "webpubsub"])
async def test_a_hostile_principal_id_is_unauthenticated(load_app: LoadApp, backend: str) -> None:
    host = await load_app(DOCCHAT_REALTIME=backend)
    document = doc(f"principal-{backend}")
    for value in [".", "..", "%2E%2E", "a/b", "a#b", "%FF"]:
        headers = {"X-MS-CLIENT-PRINCIPAL-ID": value}
        answer = await host.call("send_message", document_id=document, headers=headers, **TEXT)
        assert (answer.status_code, value) == (401, value)
        negotiated = await host.call("negotiate", headers=headers)
        assert (negotiated.status_code, value) == (401, value)


@pytest.mark.parametrize("escaped", INVALID_UTF8)
async def test_a_path_that_is_not_utf8_is_400_and_names_no_document(
    load_app: LoadApp, escaped: str
) -> None:
    host = await load_app()
    posted = await host.call(
        "send_message",
        headers=principal(ALICE),
        escaped_route_params={"documentId": escaped},
        **TEXT,
    )
    assert posted.status_code == 400, posted.get_body()
    assert "documentId" in json.dumps(body_of(posted))
    replacement = await host.call(
        "list_messages", method="GET", document_id="\ufffd", headers=principal(ALICE)
    )
    assert replacement.status_code == 400


def _deletion_by_path(legacy_id: str) -> dict[str, Any]:
    return {"route_params": {"messageId": legacy_id}}


def _deletion_by_body(legacy_id: str) -> dict[str, Any]:
    return {"body": {"messageId": legacy_id}}


@pytest.mark.parametrize(
    ("function", "naming"),
    [("delete_message", _deletion_by_path), ("delete_named_message", _deletion_by_body)],
)
@pytest.mark.parametrize("legacy_id", [".", "..", " spaced "])
async def test_a_message_stored_under_an_id_the_rule_now_refuses_can_still_be_deleted(
    load_app: LoadApp,
    legacy_id: str,
    function: str,
    naming: Callable[[str], dict[str, Any]],
) -> None:
    # Finding 2: "." and ".." were stored (201), then every request about them failed or
    # read something else. The author can still delete such a message, and nothing else.
    # In Azure only the body can name "." and "..": the front end resolves them as path
    # steps before routing (Kestrel's PathNormalizer, devstack/README.md's differences).
    host = await load_app()
    document = doc("legacy")
    for text in ("before", "after"):
        assert (await post(host, ALICE, document, text)).status_code == 201
    store = CosmosMessageStore(open_container(load_cosmos_settings(host.environment)))
    legacy = Message(legacy_id, document, ALICE.id, ALICE.name, "old", "2026-01-01T00:00:00.000Z")
    assert store.append(legacy) is not None

    edited = await host.call(
        "edit_message",
        document_id=document,
        route_params={"messageId": legacy_id},
        headers=principal(ALICE),
        **TEXT,
    )
    deleted = await host.call(
        function, document_id=document, headers=principal(ALICE), **naming(legacy_id)
    )

    assert edited.status_code == 400
    assert deleted.status_code == 200, deleted.get_body()
    assert (body_of(deleted)["id"], body_of(deleted)["deleted"]) == (legacy_id, True)
    listed = await host.call("list_messages", document_id=document, headers=principal(ALICE))
    assert [(m["text"] if not m["deleted"] else None) for m in body_of(listed)["items"]] == [
        None,
        "after",
        "before",
    ]
