"""docchat's functions end to end: called as the worker calls them, against the local
Cosmos DB server and the SignalR emulator, with real SignalR clients listening."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat.domain.users import User
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import Answer, HostedApp
from tests.integration.chat_calls import (
    CAROL,
    MODES,
    body_of,
    doc,
    membership,
    nothing_before,
    post,
    principal,
    received_message,
)
from tests.integration.conftest import INSTANCES, LoadApp, closed_port

#: Each mode on one instance, and one of them on two behind the front door.
MODES_AND_INSTANCES = [
    pytest.param("rest", 1, id="rest-1-instance"),
    pytest.param("bindings", 1, id="bindings-1-instance"),
]


@pytest.mark.parametrize(
    ("mode", "instances"), [*MODES_AND_INSTANCES, pytest.param("rest", 2, id="rest-2-instances")]
)
async def test_two_users_in_a_document_see_each_others_messages_and_others_see_nothing(
    load_app: LoadApp, listen: Callable[..., Any], mode: str, instances: int
) -> None:
    document = doc(f"shared-{mode}-{instances}")
    other_document = doc(f"other-{mode}-{instances}")
    host = await load_app(instances=instances, DOCCHAT_SIGNALR_MODE=mode)
    alice = await listen(host, ALICE, document)
    bob = await listen(host, BOB, document)
    carol = await listen(host, CAROL, other_document)

    sent = await post(host, ALICE, document, "hi Bob")
    assert sent.status_code == 201
    stored = body_of(sent)
    assert await received_message(bob) == stored
    assert await received_message(alice) == stored
    reply = body_of(await post(host, BOB, document, "hi Alice"))
    assert await received_message(alice) == reply
    assert await received_message(bob) == reply

    assert (stored["senderId"], stored["senderName"], stored["documentId"]) == (
        "alice-id",
        "Alice",
        document,
    )
    await nothing_before(carol, host, other_document)


@pytest.mark.parametrize(
    ("mode", "instances"),
    [*MODES_AND_INSTANCES, pytest.param("bindings", 2, id="bindings-2-instances")],
)
async def test_a_retry_with_the_same_id_is_stored_once_and_delivered_again(
    load_app: LoadApp, listen: Callable[..., Any], mode: str, instances: int
) -> None:
    document = doc(f"retry-{mode}-{instances}")
    host = await load_app(instances=instances, DOCCHAT_SIGNALR_MODE=mode)
    bob = await listen(host, BOB, document)

    first = await post(host, ALICE, document, "once", id="client-42")
    again = await post(host, ALICE, document, "once", id="client-42")

    assert (first.status_code, again.status_code) == (201, 200)
    assert body_of(first) == body_of(again)
    assert await received_message(bob) == await received_message(bob) == body_of(first)
    history = await host.call(
        "list_messages",
        method="GET",
        document_id=document,
        headers=principal(BOB),
    )
    assert [item["id"] for item in body_of(history)["items"]] == ["client-42"]


@pytest.mark.parametrize("instances", INSTANCES)
async def test_a_client_that_missed_messages_catches_up_exactly(
    load_app: LoadApp, listen: Callable[..., Any], instances: int
) -> None:
    document = doc(f"gap-{instances}")
    host = await load_app(instances=instances)
    bob = await listen(host, BOB, document)
    seen = body_of(await post(host, ALICE, document, "before the gap"))
    assert await received_message(bob) == seen
    left = await membership(host, "leave_document", document, bob.connection_id, principal(BOB))
    assert left.status_code == 204

    missed = [body_of(await post(host, ALICE, document, f"missed {n}")) for n in range(5)]
    rejoined = await membership(host, "join_document", document, bob.connection_id, principal(BOB))
    assert rejoined.status_code == 204
    await nothing_before(bob, host, document)
    caught_up: list[dict[str, Any]] = []
    after = seen["cursor"]
    while after is not None:
        page = body_of(
            await host.call(
                "list_messages",
                method="GET",
                document_id=document,
                headers=principal(BOB),
                params={"after": after, "limit": "2"},
            )
        )
        caught_up += page["items"]
        after = page["continuationToken"]

    assert caught_up[:-1] == missed
    assert [m["seq"] for m in caught_up] == list(range(seen["seq"] + 1, seen["seq"] + 7))
    assert caught_up[-1]["text"] == "barrier"


@pytest.mark.parametrize("instances", INSTANCES)
async def test_history_pages_newest_first(load_app: LoadApp, instances: int) -> None:
    document = doc(f"pages-{instances}")
    host = await load_app(instances=instances)
    posted = [body_of(await post(host, ALICE, document, f"n{n}")) for n in range(5)]

    pages: list[list[dict[str, Any]]] = []
    token: str | None = None
    while True:
        params = {"limit": "2", **({"continuationToken": token} if token else {})}
        page = body_of(
            await host.call(
                "list_messages",
                method="GET",
                document_id=document,
                headers=principal(BOB),
                params=params,
            )
        )
        pages.append(page["items"])
        token = page["continuationToken"]
        if token is None:
            break

    assert [item for page in pages for item in page] == posted[::-1]
    assert [item["seq"] for item in posted] == [1, 2, 3, 4, 5]
    assert [len(page) for page in pages][:2] == [2, 2]


@pytest.mark.parametrize("mode", MODES)
async def test_a_backend_posts_for_a_named_sender(
    load_app: LoadApp, listen: Callable[..., Any], mode: str
) -> None:
    document = doc(f"bot-{mode}")
    host = await load_app(DOCCHAT_SIGNALR_MODE=mode)
    alice = await listen(host, ALICE, document)

    sent = await host.call(
        "send_service_message",
        document_id=document,
        body={"text": "build passed", "senderId": "ci-bot", "senderName": "CI"},
    )

    assert sent.status_code == 201
    message = await received_message(alice)
    assert (message["senderId"], message["senderName"], message["text"]) == (
        "ci-bot",
        "CI",
        "build passed",
    )


async def test_in_bindings_mode_negotiate_returns_the_hosts_connection_info(
    load_app: LoadApp,
) -> None:
    host = await load_app(DOCCHAT_SIGNALR_MODE="bindings")

    negotiated = await host.call("negotiate", headers=principal(ALICE))

    assert negotiated.status_code == 200
    assert set(body_of(negotiated)) == {"url", "accessToken"}
    unsigned = await host.call("negotiate")
    assert unsigned.status_code == 500  # the host fails the invocation: no principal to bind


def error_code(response: Answer) -> tuple[int, str]:
    return response.status_code, body_of(response)["error"]["code"]


@pytest.mark.parametrize(
    ("name", "request_", "expected"),
    [
        ("send_message", {"body": b"{"}, (400, "invalid_json")),
        ("send_message", {"body": {"text": "hi", "extra": 1}}, (400, "invalid_request")),
        ("send_message", {"body": {"text": ["hi"]}}, (400, "invalid_request")),
        ("send_message", {"body": {"text": "x" * 4001}}, (400, "invalid_request")),
        ("send_message", {"body": {"text": "hi"}, "document_id": "a\\b"}, (400, "invalid_request")),
        ("send_message", {"body": b"x" * 100_000}, (413, "payload_too_large")),
        ("send_message", {"body": {"text": "hi"}, "headers": {}}, (401, "unauthenticated")),
        ("negotiate", {"headers": {}}, (401, "unauthenticated")),
        ("join_document", {"body": {"connectionId": "gone"}}, (404, "connection_not_found")),
        ("join_document", {"body": {}}, (400, "invalid_request")),
        ("join_document", {"body": {"connectionId": "c"}, "headers": {}}, (401, "unauthenticated")),
        ("leave_document", {"body": b"[]"}, (400, "invalid_json")),
        ("list_messages", {"method": "GET", "params": {"limit": "0"}}, (400, "invalid_request")),
        ("list_messages", {"method": "GET", "params": {"after": "x"}}, (400, "invalid_request")),
        ("list_messages", {"method": "GET", "headers": {}}, (401, "unauthenticated")),
        ("send_service_message", {"body": {"text": "hi"}}, (400, "invalid_request")),
    ],
)
async def test_every_bad_request_gets_its_4xx(
    load_app: LoadApp, name: str, request_: dict[str, Any], expected: tuple[int, str]
) -> None:
    document = doc("4xx")
    host = await load_app()
    request = {"document_id": document, "headers": principal(ALICE), **request_}

    response = await host.call(name, **request)

    assert error_code(response) == expected
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_leaving_with_a_connection_that_is_gone_is_fine(load_app: LoadApp) -> None:
    document = doc("leave")
    host = await load_app()

    left = await membership(host, "leave_document", document, "long-gone", principal(ALICE))

    assert left.status_code == 204


async def test_reusing_an_id_for_another_message_is_409(load_app: LoadApp) -> None:
    document = doc("409")
    host = await load_app()
    await post(host, ALICE, document, "mine", id="taken")

    assert error_code(await post(host, BOB, document, "mine", id="taken")) == (
        409,
        "message_id_conflict",
    )


async def test_in_members_mode_a_non_member_gets_403(load_app: LoadApp) -> None:
    document = doc("403")
    host = await load_app(DOCCHAT_ACCESS="members")

    assert error_code(await post(host, ALICE, document, "hi")) == (403, "forbidden")
    joined = await membership(host, "join_document", document, "c", principal(ALICE))
    assert error_code(joined) == (403, "forbidden")


async def test_when_storing_fails_nothing_is_broadcast(
    load_app: LoadApp, listen: Callable[..., Any]
) -> None:
    document = doc("503")
    healthy = await load_app()
    bob = await listen(healthy, BOB, document)
    store_down = await load_app(COSMOS_ENDPOINT=f"https://127.0.0.1:{closed_port()}")

    response = await post(store_down, ALICE, document, "lost?")

    assert error_code(response) == (503, "store_unavailable")
    assert body_of(response)["error"]["stored"] is False
    assert response.headers["Retry-After"] == "1"
    await nothing_before(bob, healthy, document)


async def test_when_broadcasting_fails_the_message_is_stored_and_a_retry_delivers_it(
    load_app: LoadApp, listen: Callable[..., Any]
) -> None:
    document = doc("stored")
    healthy = await load_app()
    bob = await listen(healthy, BOB, document)
    emulator = healthy.emulator
    dead = emulator.connection_string.replace(f":{emulator.port}", f":{closed_port()}")
    signalr_down = await load_app(AzureSignalRConnectionString=dead)

    response = await post(signalr_down, ALICE, document, "kept", id="kept-1")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    error = body_of(response)["error"]
    assert (error["code"], error["stored"], error["id"]) == (
        "message_not_delivered",
        True,
        "kept-1",
    )
    retried = await post(healthy, ALICE, document, "kept", id="kept-1")
    assert retried.status_code == 200
    assert await received_message(bob) == body_of(retried)
    await nothing_before(bob, healthy, document)


async def member_route(
    host: HostedApp, name: str, document_id: str, user: User, **request: Any
) -> Answer:
    """Call a member route of ``document_id`` about ``user``, as a backend would."""
    route = {"userId": user.id}
    return await host.call(name, document_id=document_id, route_params=route, **request)


@pytest.mark.parametrize("instances", INSTANCES)
async def test_in_members_mode_a_backend_grants_and_revokes_and_the_revoked_stop_hearing(
    load_app: LoadApp, listen: Callable[..., Any], instances: int
) -> None:
    """Membership is kept in Cosmos DB; a revocation closes the user's connections at once,
    and the user can neither read nor join again."""
    document = doc(f"members-{instances}")
    host = await load_app(instances=instances, DOCCHAT_ACCESS="members")
    for user, role in ((ALICE, "writer"), (BOB, "reader")):
        granted = await member_route(
            host, "put_member", document, user, method="PUT", body={"role": role}
        )
        assert granted.status_code == 201
    listed = await host.call("list_members", method="GET", document_id=document)
    assert body_of(listed)["members"] == [
        {"userId": ALICE.id, "role": "writer"},
        {"userId": BOB.id, "role": "reader"},
    ]
    bob = await listen(host, BOB, document)
    assert error_code(await post(host, BOB, document, "may I?")) == (403, "forbidden")
    seen = body_of(await post(host, ALICE, document, "hello Bob"))
    assert await received_message(bob) == seen

    revoked = await member_route(host, "remove_member", document, BOB, method="DELETE")

    assert revoked.status_code == 204
    assert (await bob.next_event("closed"))["event"] == "closed"
    read = await host.call(
        "list_messages", method="GET", document_id=document, headers=principal(BOB)
    )
    assert error_code(read) == (403, "forbidden")
    rejoined = await membership(host, "join_document", document, "any", principal(BOB))
    assert error_code(rejoined) == (403, "forbidden")
