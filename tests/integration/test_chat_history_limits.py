"""A document's history has limits in Cosmos DB: one logical partition holds at most 20 GB,
and with ``DOCCHAT_MESSAGE_TTL_DAYS`` the oldest messages go. Checked on the local Cosmos
server, taught to fill a partition at a few kilobytes as Azure fills one at 20 GB (403 with
sub-status 1014, per the sub-status table of Azure's "HTTP status codes for Azure Cosmos DB").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.cosmos import CosmosClient

from devstack.cosmos import EMULATOR_KEY, CosmosServer, start_cosmos_server
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import HostedApp
from tests.integration.chat_calls import body_of, doc, post, principal
from tests.integration.conftest import LoadApp

#: Past this many bytes a document's partition is full: ~10 messages of this test's size.
PARTITION_LIMIT_BYTES = 6_000
#: More posts than fit, so the partition surely fills.
POSTS = 40
TEXT = "x" * 300


@pytest.fixture(scope="module")
def cosmos_server() -> Iterator[CosmosServer]:
    """This module's own server: its partitions fill at :data:`PARTITION_LIMIT_BYTES`."""
    with start_cosmos_server(port=0, partition_limit_bytes=PARTITION_LIMIT_BYTES) as server:
        yield server


async def fill(
    host: HostedApp, document: str, *, client_ids: bool = False
) -> tuple[list[Any], Any]:
    """Post until the document refuses one (with ids of the client's own when
    ``client_ids``); the posts that passed and the refusal."""
    passed: list[Any] = []
    for n in range(POSTS):
        fields = {"id": f"client-{n}"} if client_ids else {}
        answer = await post(host, ALICE, document, f"{n} {TEXT}", **fields)
        if answer.status_code != 201:
            return passed, answer
        passed.append(body_of(answer))
    raise AssertionError(f"{POSTS} posts and the partition never filled")


async def test_a_full_document_refuses_posts_with_history_full_and_others_go_on(
    load_app: LoadApp,
) -> None:
    host = await load_app()
    document = doc("full")
    passed, refused = await fill(host, document)

    assert passed, "the partition filled before any post"
    assert refused.status_code == 409
    assert "Retry-After" not in refused.headers
    error = body_of(refused)["error"]
    assert error["code"] == "document_history_full"
    assert "history is full" in error["message"]
    # The app made the id: nothing is stored under it, and nothing will be.
    assert error["stored"] is False
    assert error["id"]

    # History still reads, and holds exactly what passed.
    history = body_of(
        await host.call("list_messages", method="GET", document_id=document, headers=principal(BOB))
    )
    assert [m["seq"] for m in history["items"]][::-1] == [m["seq"] for m in passed]
    # Another document is not affected.
    assert (await post(host, ALICE, doc("not-full"), "hello")).status_code == 201


async def test_a_full_document_answers_stored_null_for_a_client_id(load_app: LoadApp) -> None:
    host = await load_app()
    _, refused = await fill(host, doc("full-client-ids"), client_ids=True)
    error = body_of(refused)["error"]
    assert (refused.status_code, error["code"]) == (409, "document_history_full")
    # An earlier try with the client's id may still land: docchat cannot say "not stored".
    assert error["stored"] is None
    assert error["id"].startswith("client-")


async def test_with_a_ttl_messages_carry_it_and_history_without_the_oldest_still_works(
    load_app: LoadApp, cosmos_server: CosmosServer
) -> None:
    host = await load_app(DOCCHAT_MESSAGE_TTL_DAYS="2")
    document = doc("ttl")
    posted = [body_of(await post(host, ALICE, document, f"n{n}")) for n in range(5)]

    with CosmosClient(cosmos_server.endpoint, credential=EMULATOR_KEY) as client:
        container = client.get_database_client("docchat").get_container_client(
            host.environment["COSMOS_CONTAINER"]
        )
        items = list(container.query_items("SELECT * FROM c", partition_key=document))
        ttls = {item["id"]: item.get("ttl") for item in items}
        # Messages expire two days after their last write; the head never does.
        assert {ttls[m["id"]] for m in posted} == {2 * 86_400}
        assert [ttl for item_id, ttl in ttls.items() if item_id.startswith("_")] == [None]
        # The two oldest expire, as Cosmos DB removes them when their time is up.
        for gone in posted[:2]:
            container.delete_item(gone["id"], partition_key=document)

    history = body_of(
        await host.call("list_messages", method="GET", document_id=document, headers=principal(BOB))
    )
    assert [m["seq"] for m in history["items"]] == [5, 4, 3]
    # A catch-up from before the gone messages brings what is left, in order.
    after = body_of(
        await host.call(
            "list_messages",
            method="GET",
            document_id=document,
            headers=principal(BOB),
            params={"after": posted[0]["cursor"]},
        )
    )
    assert [m["seq"] for m in after["items"]] == [3, 4, 5]
    # Numbering goes on from the head, not from what is left.
    assert body_of(await post(host, ALICE, document, "next"))["seq"] == 6
