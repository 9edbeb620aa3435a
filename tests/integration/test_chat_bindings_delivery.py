"""Bindings mode: what a client gets when delivery fails after the function has returned.

The output binding (``signalR`` / ``webPubSub``) is carried out by the host after the
function returns, and before the host answers the HTTP request; when the service cannot be
reached, the host fails the invocation and answers 500, whatever the function returned
(azure-functions-host: a failed binding fails the invocation; the dev host does the same,
devstack/host/invocation.py, with a body naming the function where Azure sends none).
docchat never sees the failure, so it cannot say ``stored``: the client gets the host's
500, and a retry with the same id is safe, as always. What the function did before it
returned stands: the message is stored, and the retry (on an instance that reaches the
service) delivers it once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from tests.fixtures.chat import ALICE, BOB
from tests.integration.chat_calls import NEW, body_of, doc, membership, post, principal
from tests.integration.conftest import LoadApp, closed_port
from tests.integration.listeners import connect

SETUPS = [
    pytest.param({"DOCCHAT_SIGNALR_MODE": "bindings"}, id="signalr"),
    pytest.param(
        {"DOCCHAT_REALTIME": "webpubsub", "DOCCHAT_WEBPUBSUB_MODE": "bindings"}, id="webpubsub"
    ),
]


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


@pytest.mark.parametrize("setup", SETUPS)
async def test_a_delivery_that_fails_after_the_function_returned_is_the_hosts_500(
    load_app: LoadApp, clients: AsyncExitStack, setup: dict[str, str]
) -> None:
    document = doc(f"bindings-undelivered-{'-'.join(setup.values())}")
    healthy = await load_app(**setup)
    alice = await connect(clients, healthy, ALICE)
    joined = await membership(
        healthy, "join_document", document, alice.connection_id, principal(ALICE)
    )
    assert joined.status_code == 204, joined.get_body()
    emulator = healthy.emulator
    dead = emulator.connection_string.replace(f":{emulator.port}", f":{closed_port()}")
    down = await load_app(
        **setup, AzureSignalRConnectionString=dead, WebPubSubConnectionString=dead
    )

    failed = await post(down, BOB, document, "kept", id="kept-in-bindings-mode")

    assert failed.status_code == 500
    assert b"stored" not in failed.get_body()  # the host's answer: docchat's 201 never left
    assert NEW not in await alice.heard_before_marker()
    retried = await post(healthy, BOB, document, "kept", id="kept-in-bindings-mode")
    assert retried.status_code == 200, retried.get_body()  # stored by the failed try
    assert body_of(retried)["seq"] == 1
    assert await alice.heard_before_marker() == [NEW]


@pytest.mark.parametrize("setup", SETUPS)
async def test_a_revocation_whose_output_failed_is_finished_by_the_same_delete_again(
    load_app: LoadApp, clients: AsyncExitStack, setup: dict[str, str]
) -> None:
    """The membership is gone once the function returned; the group removals failed with
    the output. The retry finds the user's connections still (their entries are marked
    revoked, not deleted) and takes them out of the group."""
    document = doc(f"bindings-revoke-{'-'.join(setup.values())}")
    healthy = await load_app(DOCCHAT_ACCESS="members", **setup)
    granted = await healthy.call(
        "put_member",
        method="PUT",
        document_id=document,
        route_params={"userId": ALICE.id},
        body={"role": "reader"},
    )
    assert granted.status_code == 201, granted.get_body()
    alice = await connect(clients, healthy, ALICE)
    joined = await membership(
        healthy, "join_document", document, alice.connection_id, principal(ALICE)
    )
    assert joined.status_code == 204, joined.get_body()
    emulator = healthy.emulator
    dead = emulator.connection_string.replace(f":{emulator.port}", f":{closed_port()}")
    down = await load_app(
        DOCCHAT_ACCESS="members",
        **setup,
        AzureSignalRConnectionString=dead,
        WebPubSubConnectionString=dead,
    )
    delete: dict[str, Any] = {
        "method": "DELETE",
        "document_id": document,
        "route_params": {"userId": ALICE.id},
    }

    assert (await down.call("remove_member", **delete)).status_code == 500
    assert (await healthy.call("remove_member", **delete)).status_code == 204
    assert (await post(healthy, ALICE, document, "hello?")).status_code == 403
    service_post = await healthy.call(
        "send_service_message",
        document_id=document,
        body={"text": "after the revocation", "senderId": BOB.id},
    )
    assert service_post.status_code == 201, service_post.get_body()
    assert NEW not in await alice.heard_before_marker()
