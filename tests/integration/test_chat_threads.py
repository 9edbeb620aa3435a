"""Threads end to end: served by the dev host, stored in the local Cosmos DB server, heard
live by the official clients of both real-time backends in both modes, and read back by
the timeline, the thread, the thread list and catch-up; each rule of replies, anchors and
resolution, with hostile anchors refused and nothing stored."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from chat.domain.users import User
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import Answer, HostedApp
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.chat_calls import CAROL, MODES, body_of, doc, membership, post, principal
from tests.integration.conftest import LoadApp

EVENTS = ("newMessage", "messageUpdated", "messageDeleted", "reactionsChanged")
ANCHOR = {"kind": "text", "from": 120, "to": 180, "quote": "the paragraph…", "path": [0, 2]}
#: The rules hold whichever real-time backend delivers.
REALTIME_BACKENDS = ["signalr", "webpubsub"]
BACKENDS = [
    pytest.param(backend, mode, id=f"{backend}-{mode}")
    for backend in ("signalr", "webpubsub")
    for mode in MODES
]


def backend_settings(backend: str, mode: str) -> dict[str, str]:
    if backend == "webpubsub":
        return {"DOCCHAT_REALTIME": "webpubsub", "DOCCHAT_WEBPUBSUB_MODE": mode}
    return {"DOCCHAT_SIGNALR_MODE": mode}


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


class Heard:
    """What one user's connection hears in a document, on either backend: ``(event, data)``."""

    def __init__(self, next_event: Callable[[], Any]) -> None:
        self._next = next_event

    async def next(self) -> tuple[str, dict[str, Any]]:
        result: tuple[str, dict[str, Any]] = await self._next()
        return result


async def listen_on(
    backend: str,
    host: HostedApp,
    user: User,
    document: str,
    listen: Callable[..., Any],
    clients: AsyncExitStack,
) -> Heard:
    if backend == "signalr":
        hub = await listen(host, user, document, targets=EVENTS)

        async def from_hub() -> tuple[str, dict[str, Any]]:
            target, (argument,) = await hub.next_message()
            return target, argument

        return Heard(from_hub)
    negotiated = await host.call("negotiate", headers=principal(user))
    client = await clients.enter_async_context(
        NodeWebPubSubClient.connect(body_of(negotiated)["url"])
    )
    joined = await membership(
        host, "join_document", document, client.connection_id, principal(user)
    )
    assert joined.status_code == 204, joined.get_body()

    async def from_webpubsub() -> tuple[str, dict[str, Any]]:
        while True:
            message = await client.next_event()
            if message["event"] in ("group-message", "server-message"):
                data = message["data"]
                if data["event"] != "presence":
                    return data["event"], data["data"]

    return Heard(from_webpubsub)


async def call(host: HostedApp, name: str, document: str, user: User, **request: Any) -> Answer:
    return await host.call(name, document_id=document, headers=principal(user), **request)


async def resolve(host: HostedApp, document: str, user: User, root: str, resolved: Any) -> Answer:
    return await call(
        host,
        "resolve_thread",
        document,
        user,
        route_params={"rootId": root},
        body={"resolved": resolved},
    )


async def read(host: HostedApp, name: str, document: str, **request: Any) -> dict[str, Any]:
    answer = await host.call(
        name, method="GET", document_id=document, headers=principal(CAROL), **request
    )
    assert answer.status_code == 200, answer.get_body()
    result: dict[str, Any] = body_of(answer)
    return result


async def everything_after(host: HostedApp, document: str, cursor: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after: str | None = cursor
    while after is not None:
        page = await read(host, "list_messages", document, params={"after": after, "limit": "2"})
        items += page["items"]
        after = page["continuationToken"]
    return items


@pytest.mark.parametrize(("backend", "mode"), BACKENDS)
async def test_a_thread_is_heard_live_and_caught_up_exactly(
    load_app: LoadApp,
    listen: Callable[..., Any],
    clients: AsyncExitStack,
    backend: str,
    mode: str,
) -> None:
    document = doc(f"thread-{backend}-{mode}")
    host = await load_app(**backend_settings(backend, mode))
    carol = await listen_on(backend, host, CAROL, document, listen, clients)
    root = body_of(await post(host, ALICE, document, "what about this?", anchor=ANCHOR))
    assert await carol.next() == ("newMessage", root)

    answer = await post(host, BOB, document, "agreed", replyTo=root["id"])
    reply = body_of(answer)
    assert answer.status_code == 201
    assert (reply["threadId"], reply["seq"], reply["anchor"]) == (root["id"], 2, None)
    assert await carol.next() == ("newMessage", reply)
    event, summarised = await carol.next()
    assert event == "messageUpdated"
    assert summarised["thread"] == {
        "replyCount": 1,
        "lastReplyAt": reply["createdAt"],
        "participants": [{"id": BOB.id, "name": BOB.name}],
        "resolved": False,
        "resolvedBy": None,
        "resolvedAt": None,
    }
    assert (summarised["seq"], summarised["anchor"]) == (1, ANCHOR)
    assert summarised["position"] > reply["position"]

    resolved = await resolve(host, document, BOB, root["id"], True)
    again = await resolve(host, document, BOB, root["id"], True)
    assert (resolved.status_code, again.status_code) == (200, 200)
    assert body_of(again) == body_of(resolved)
    assert body_of(resolved)["thread"]["resolvedBy"] == {"id": BOB.id, "name": BOB.name}
    assert await carol.next() == ("messageUpdated", body_of(resolved))
    assert await carol.next() == ("messageUpdated", body_of(again))  # a retry delivers

    deleted = await call(
        host, "delete_message", document, BOB, route_params={"messageId": reply["id"]}
    )
    assert deleted.status_code == 200
    assert await carol.next() == ("messageDeleted", body_of(deleted))
    event, lowered = await carol.next()
    assert (event, lowered["thread"]["replyCount"], lowered["thread"]["resolved"]) == (
        "messageUpdated",
        0,
        True,
    )

    caught_up = await everything_after(host, document, root["cursor"])
    assert [(item["id"], item["position"]) for item in caught_up] == [
        (reply["id"], body_of(deleted)["position"]),
        (root["id"], lowered["position"]),
    ]
    assert caught_up[1] == lowered
    timeline = await read(host, "list_messages", document)
    assert [item["id"] for item in timeline["items"]] == [root["id"]]


@pytest.mark.parametrize("backend", REALTIME_BACKENDS)
async def test_replies_join_the_roots_thread_and_read_back_in_order(
    load_app: LoadApp, backend: str
) -> None:
    document = doc("thread-reading")
    host = await load_app(**backend_settings(backend, "rest"))
    root = body_of(await post(host, ALICE, document, "root"))
    other = body_of(await post(host, ALICE, document, "other root", anchor={"cell": "B2"}))
    first = body_of(await post(host, BOB, document, "first", replyTo=root["id"]))
    to_reply = body_of(await post(host, CAROL, document, "second", replyTo=first["id"]))
    for n in range(3):
        await post(host, BOB, document, f"more {n}", replyTo=root["id"])

    assert to_reply["threadId"] == root["id"]
    page = await read(
        host, "get_thread", document, route_params={"rootId": root["id"]}, params={"limit": "3"}
    )
    assert [item["text"] for item in page["items"]] == ["root", "first", "second", "more 0"]
    assert page["items"][0]["thread"]["replyCount"] == 5
    assert [p["id"] for p in page["items"][0]["thread"]["participants"]] == [BOB.id, CAROL.id]
    rest = await read(
        host,
        "get_thread",
        document,
        route_params={"rootId": root["id"]},
        params={"limit": "3", "continuationToken": page["continuationToken"]},
    )
    assert ([item["text"] for item in rest["items"]], rest["continuationToken"]) == (
        ["more 1", "more 2"],
        None,
    )
    timeline = await read(host, "list_messages", document, params={"limit": "1"})
    older = await read(
        host,
        "list_messages",
        document,
        params={"limit": "1", "continuationToken": timeline["continuationToken"]},
    )
    assert [item["id"] for item in timeline["items"] + older["items"]] == [other["id"], root["id"]]
    assert older["continuationToken"] is None

    await resolve(host, document, ALICE, other["id"], True)
    listed = await read(host, "list_threads", document, params={"limit": "1"})
    following = await read(
        host,
        "list_threads",
        document,
        params={"continuationToken": listed["continuationToken"]},
    )
    assert [m["id"] for m in listed["items"] + following["items"]] == [other["id"], root["id"]]
    for query, expected in [
        ({"resolved": "true"}, [other["id"]]),
        ({"resolved": "false"}, [root["id"]]),
        ({"anchored": "true"}, [other["id"]]),
        ({"anchored": "false", "resolved": "true"}, []),
    ]:
        found = await read(host, "list_threads", document, params=query)
        assert [m["id"] for m in found["items"]] == expected, query


@pytest.mark.parametrize("backend", REALTIME_BACKENDS)
async def test_reply_rules_refuse_what_cannot_be_a_reply_and_store_nothing(
    load_app: LoadApp,
    backend: str,
) -> None:
    document = doc("reply-rules")
    host = await load_app(**backend_settings(backend, "rest"))
    root = body_of(await post(host, ALICE, document, "root"))
    elsewhere = body_of(await post(host, ALICE, doc("reply-rules-elsewhere"), "elsewhere"))

    refusals = [
        await post(host, BOB, document, "to nothing", replyTo="no-such-message"),
        await post(host, BOB, document, "across documents", replyTo=elsewhere["id"]),
        await post(host, BOB, document, "anchored reply", replyTo=root["id"], anchor=ANCHOR),
        await post(host, BOB, document, "null", replyTo=None),
    ]

    assert [answer.status_code for answer in refusals] == [400] * 4
    assert "replyTo" in body_of(refusals[0])["error"]["message"]
    caught_up = await everything_after(host, document, "YzE6MA")
    assert [item["id"] for item in caught_up] == [root["id"]]
    unresolvable = await resolve(host, document, ALICE, "no-such-root", True)
    assert unresolvable.status_code == 404
    reply = body_of(await post(host, BOB, document, "a reply", replyTo=root["id"]))
    for answer in [
        await resolve(host, document, ALICE, reply["id"], True),
        await call(
            host,
            "get_thread",
            document,
            ALICE,
            method="GET",
            route_params={"rootId": reply["id"]},
        ),
        await resolve(host, document, ALICE, root["id"], "yes"),
    ]:
        assert answer.status_code == 400, answer.get_body()


@pytest.mark.parametrize("backend", REALTIME_BACKENDS)
async def test_edits_move_a_roots_anchor_and_deletions_keep_the_thread(
    load_app: LoadApp,
    backend: str,
) -> None:
    document = doc("thread-edits")
    host = await load_app(**backend_settings(backend, "rest"))
    root = body_of(await post(host, ALICE, document, "root", anchor=ANCHOR))
    reply = body_of(await post(host, BOB, document, "reply", replyTo=root["id"]))

    async def edit(user: User, message_id: str, **body: Any) -> Answer:
        return await call(
            host,
            "edit_message",
            document,
            user,
            route_params={"messageId": message_id},
            body=body,
        )

    moved = await edit(ALICE, root["id"], anchor={**ANCHOR, "from": 140, "to": 200})
    assert moved.status_code == 200
    assert (body_of(moved)["anchor"]["from"], body_of(moved)["editedAt"]) == (140, None)
    assert body_of(moved)["thread"]["replyCount"] == 1
    assert (await edit(BOB, reply["id"], anchor=ANCHOR)).status_code == 400
    assert (await edit(BOB, root["id"], anchor=ANCHOR)).status_code == 403
    assert (await edit(ALICE, root["id"])).status_code == 400
    reacted = await call(
        host,
        "add_reaction",
        document,
        ALICE,
        route_params={"messageId": reply["id"], "emoji": "👍"},
    )
    assert body_of(reacted)["reactions"] == {"👍": [ALICE.id]}
    assert body_of(reacted)["threadId"] == root["id"]

    tombstone = body_of(
        await call(host, "delete_message", document, ALICE, route_params={"messageId": root["id"]})
    )
    assert tombstone["deleted"] is True
    assert "text" not in tombstone
    assert (tombstone["anchor"]["from"], tombstone["thread"]["replyCount"]) == (140, 1)
    late = await post(host, CAROL, document, "still talking", replyTo=root["id"])
    assert late.status_code == 201
    thread = await read(host, "get_thread", document, route_params={"rootId": root["id"]})
    assert thread["items"][0]["thread"]["replyCount"] == 2


@pytest.mark.parametrize("backend", REALTIME_BACKENDS)
async def test_a_reader_may_read_threads_but_not_resolve_them(
    load_app: LoadApp, backend: str
) -> None:
    document = doc("thread-roles")
    host = await load_app(**backend_settings(backend, "rest"), DOCCHAT_ACCESS="members")
    for user, role in ((ALICE, "writer"), (BOB, "reader"), (CAROL, "reader")):
        put = await host.call(
            "put_member",
            document_id=document,
            route_params={"userId": user.id},
            body={"role": role},
        )
        assert put.status_code == 201, put.get_body()
    root = body_of(await post(host, ALICE, document, "root"))

    refused = await resolve(host, document, BOB, root["id"], True)
    reply = await post(host, BOB, document, "reply", replyTo=root["id"])
    outsider = await call(
        host,
        "get_thread",
        document,
        User("eve-id", "Eve"),
        method="GET",
        route_params={"rootId": root["id"]},
    )

    assert (refused.status_code, reply.status_code, outsider.status_code) == (403, 403, 403)
    thread = await read(host, "get_thread", document, route_params={"rootId": root["id"]})
    assert thread["items"][0].get("thread") is None
    assert (await resolve(host, document, ALICE, root["id"], True)).status_code == 200


#: Anchors docchat refuses, as raw JSON (what a client could send): each is a 400, and
#: nothing is stored.
HOSTILE_ANCHORS = [
    ("integer-past-2^53", b'{"a": 9007199254740993}'),
    ("integer-below-minus-2^53", b'{"a": -9007199254740993}'),
    ("float-past-2^53", b'{"a": 1e300}'),
    ("nan", b'{"a": NaN}'),
    ("infinity", b'{"a": Infinity}'),
    ("lone-high-surrogate", b'{"a": "\\ud800"}'),
    ("lone-low-surrogate-key", b'{"\\udc00": 1}'),
    ("control-character", b'{"a": "bell\\u0007"}'),
    ("private-use", b'{"a": "\\ue000"}'),
    ("nine-deep", b'{"a": ' + b"[" * 8 + b"]" * 8 + b"}"),
    ("five-thousand-deep", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("over-2048-bytes", json.dumps({"q": "x" * 2100}).encode()),
    ("utf8-bytes", json.dumps({"q": "é" * 1100}, ensure_ascii=False).encode()),
    ("array", b"[1]"),
    ("string", b'"text"'),
    ("null", b"null"),
]


@pytest.mark.parametrize("backend", REALTIME_BACKENDS)
async def test_hostile_anchors_are_refused_and_nothing_is_stored(
    load_app: LoadApp, backend: str
) -> None:
    host = await load_app(**backend_settings(backend, "rest"))
    for name, anchor in HOSTILE_ANCHORS:
        document = doc(f"hostile-anchor-{name}")
        body = b'{"text": "anchored", "anchor": ' + anchor + b"}"

        sent = await host.call(
            "send_message", document_id=document, headers=principal(ALICE), body=body
        )
        stored = body_of(await post(host, ALICE, document, "plain"))

        assert sent.status_code == 400, (name, sent.get_body())
        assert body_of(sent)["error"]["code"] in ("invalid_request", "invalid_json"), name
        assert stored["seq"] == 1, name
        edited = await host.call(
            "edit_message",
            document_id=document,
            route_params={"messageId": stored["id"]},
            headers=principal(ALICE),
            body=b'{"anchor": ' + anchor + b"}",
        )
        assert edited.status_code == 400, (name, edited.get_body())
        unchanged = await read(host, "list_messages", document)
        assert unchanged["items"] == [stored], name


@pytest.mark.parametrize("backend", REALTIME_BACKENDS)
async def test_an_anchor_at_its_bounds_comes_back_exactly_as_sent(
    load_app: LoadApp, backend: str
) -> None:
    document = doc("anchor-bounds")
    host = await load_app(**backend_settings(backend, "rest"))
    deep: Any = 1
    for _ in range(7):
        deep = [deep]
    anchor = {
        "deep": deep,
        "big": 2**53,
        "small": -(2**53),
        "float": 0.5,
        "text": "tab\tand\nline, emoji 👍, empty:",
        "empty": "",
        "flag": True,
        "none": None,
    }
    padded = {**anchor, "pad": ""}
    size = len(json.dumps(padded, ensure_ascii=False, separators=(",", ":")).encode())
    padded["pad"] = "x" * (2048 - size)

    answer = await post(host, ALICE, document, "bounded", anchor=padded)

    assert answer.status_code == 201, answer.get_body()
    assert body_of(answer)["anchor"] == padded
    listed = await read(host, "list_threads", document)
    assert listed["items"][0]["anchor"] == padded
