"""Edits, deletions, reactions and read markers end to end: served by the dev host, stored in
the local Cosmos DB server, heard live by the official JS client, and found by catch-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import Answer, HostedApp
from tests.integration.chat_calls import body_of, doc, post, principal
from tests.integration.conftest import INSTANCES, LoadApp

#: What a reaction's broadcast holds: not the text, which did not change (a reply's thread, so
#: that a client knows where it shows).
REACTION_FIELDS = ("id", "documentId", "seq", "position", "cursor", "threadId", "reactions")
EVENTS = ("newMessage", "messageUpdated", "messageDeleted", "reactionsChanged")


async def on_message(
    host: HostedApp, name: str, document: str, message_id: str, **request: Any
) -> Answer:
    route = {"messageId": message_id, **request.pop("route", {})}
    return await host.call(name, document_id=document, route_params=route, **request)


async def alice_edits(host: HostedApp, document: str, message_id: str, text: str) -> Answer:
    body = {"text": text}
    return await on_message(
        host, "edit_message", document, message_id, headers=principal(ALICE), body=body
    )


async def heard(listener: Any) -> tuple[str, dict[str, Any]]:
    target, (argument,) = await listener.next_message()
    return target, argument


async def test_an_edit_a_reaction_and_a_deletion_are_heard_live_and_found_by_catch_up(
    load_app: LoadApp, listen: Callable[..., Any]
) -> None:
    document = doc("editing")
    host = await load_app()
    bob = await listen(host, BOB, document, targets=EVENTS)
    first = body_of(await post(host, ALICE, document, "helo"))
    await post(host, ALICE, document, "second")
    assert [(await heard(bob))[0] for _ in range(2)] == ["newMessage", "newMessage"]

    edited = await alice_edits(host, document, first["id"], "hello")
    reacted = await on_message(
        host, "add_reaction", document, first["id"], headers=principal(BOB), route={"emoji": "👍"}
    )
    refused = await on_message(
        host, "delete_message", document, first["id"], headers=principal(BOB)
    )
    deleted = await on_message(
        host, "delete_message", document, first["id"], headers=principal(ALICE)
    )

    assert (edited.status_code, body_of(edited)["text"], body_of(edited)["seq"]) == (
        200,
        "hello",
        1,
    )
    assert body_of(edited)["editedAt"] is not None
    assert body_of(reacted)["reactions"] == {"👍": [BOB.id]}
    assert refused.status_code == 403
    assert await heard(bob) == ("messageUpdated", body_of(edited))
    compact = {key: body_of(reacted)[key] for key in REACTION_FIELDS}
    assert await heard(bob) == ("reactionsChanged", compact)
    assert await heard(bob) == ("messageDeleted", body_of(deleted))
    caught_up = await host.call(
        "list_messages",
        method="GET",
        document_id=document,
        headers=principal(BOB),
        params={"after": first["cursor"]},
    )
    items = body_of(caught_up)["items"]
    assert [(item["id"], item["seq"]) for item in items] == [
        (items[0]["id"], 2),
        (first["id"], 1),
    ]
    assert items[1]["deleted"] is True
    assert "text" not in items[1]


async def catch_up(host: HostedApp, document: str, after: str) -> list[dict[str, Any]]:
    """Bob's whole catch-up after ``after``, in pages of ten."""
    items: list[dict[str, Any]] = []
    token: str | None = after
    while token is not None:
        params = {"after": token, "limit": "10"}
        answer = await host.call(
            "list_messages",
            method="GET",
            document_id=document,
            headers=principal(BOB),
            params=params,
        )
        items += body_of(answer)["items"]
        token = body_of(answer)["continuationToken"]
    return items


async def test_an_instance_that_kept_a_catch_up_finds_what_another_changed_since(
    load_app: LoadApp,
) -> None:
    """Instance 0 keeps what its catch-ups read (storage/cosmos/tail.py); messages edited,
    deleted and posted through instance 1 since then still come, each once, in its latest
    version and place."""
    document = doc("kept-catch-up")
    host = await load_app(instances=2)
    keeper, changer = host.instance(0), host.instance(1)
    first, second, third = [
        body_of(await post(keeper, ALICE, document, text)) for text in ("one", "two", "three")
    ]
    assert [m["id"] for m in await catch_up(keeper, document, first["cursor"])] == [
        second["id"],
        third["id"],
    ]

    await alice_edits(changer, document, second["id"], "2")
    fourth = body_of(await post(changer, ALICE, document, "four"))
    await on_message(changer, "delete_message", document, third["id"], headers=principal(ALICE))
    again = await catch_up(keeper, document, first["cursor"])

    assert [(m["id"], m.get("text"), m["deleted"]) for m in again] == [
        (second["id"], "2", False),
        (fourth["id"], "four", False),
        (third["id"], None, True),
    ]
    assert again == await catch_up(changer, document, first["cursor"])


async def test_a_reaction_must_be_one_emoji(load_app: LoadApp) -> None:
    document = doc("emoji")
    host = await load_app()
    message = body_of(await post(host, ALICE, document, "react to me"))

    for emoji in ("x", "👍👍", ":)"):
        answer = await on_message(
            host,
            "add_reaction",
            document,
            message["id"],
            headers=principal(BOB),
            route={"emoji": emoji},
        )
        assert answer.status_code == 400, (emoji, answer.get_body())
        assert "emoji must be one emoji" in body_of(answer)["error"]["message"]


@pytest.mark.parametrize("instances", INSTANCES)
async def test_read_markers_count_what_is_left_and_never_go_back(
    load_app: LoadApp, instances: int
) -> None:
    document = doc(f"read-{instances}")
    host = await load_app(instances=instances)
    for n in range(3):
        await post(host, BOB, document, f"from bob {n}")
    await post(host, ALICE, document, "from alice")

    async def read(method: str, **request: Any) -> Any:
        answer = await host.call(
            "mark_read" if method == "PUT" else "read_status",
            method=method,
            document_id=document,
            headers=principal(ALICE),
            **request,
        )
        assert answer.status_code == 200, answer.get_body()
        return body_of(answer)

    assert await read("GET") == {"seq": 0, "unread": 3}
    assert await read("PUT", body={"seq": 2}) == {"seq": 2, "unread": 1}
    assert await read("PUT", body={"seq": 1}) == {"seq": 2, "unread": 1}
    too_far = await host.call(
        "mark_read", method="PUT", document_id=document, headers=principal(ALICE), body={"seq": 9}
    )
    assert too_far.status_code == 400


async def test_every_instance_accepts_a_read_marker_for_the_newest_message(
    load_app: LoadApp,
) -> None:
    """Whichever instance stored a message, any instance takes a marker up to it: the
    front door sends a client's next request anywhere (round robin, no affinity)."""
    document = doc("read-anywhere")
    host = await load_app(instances=2)
    for n in range(3):
        await post(host, BOB, document, f"from bob {n}")

    for index in range(len(host.instance_urls)):
        answer = await host.instance(index).call(
            "mark_read",
            method="PUT",
            document_id=document,
            headers=principal(ALICE),
            body={"seq": 3},
        )
        assert (answer.status_code, body_of(answer)) == (200, {"seq": 3, "unread": 0}), index


async def test_read_markers_stay_out_of_history_and_of_other_readers_counts(
    load_app: LoadApp,
) -> None:
    """Read markers share the document's partition with its messages (found by fuzzing:
    a marker once came back as a message and the listing failed)."""
    document = doc("read-history")
    host = await load_app()
    for n in range(2):
        await post(host, BOB, document, f"from bob {n}")
    for reader in (ALICE, BOB):
        marked = await host.call(
            "mark_read",
            method="PUT",
            document_id=document,
            headers=principal(reader),
            body={"seq": 2},
        )
        assert marked.status_code == 200, marked.get_body()

    history = await host.call(
        "list_messages", method="GET", document_id=document, headers=principal(ALICE)
    )
    status = await host.call(
        "read_status", method="GET", document_id=document, headers=principal(BOB)
    )

    assert [m["text"] for m in body_of(history)["items"]] == ["from bob 1", "from bob 0"]
    assert body_of(status) == {"seq": 2, "unread": 0}
