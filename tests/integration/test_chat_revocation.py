"""Revocation across instances (issue 18): two dev host processes of one app, on the local
Cosmos DB server and a real-time emulator (SignalR and Web PubSub, REST and bindings mode),
with the official JS clients listening.

Once ``DELETE /api/service/documents/{id}/members/{userId}`` has answered on one instance,
the other admits no join, send, read or catch-up by the user, the user's live connection
hears none of the document's later events, and a rejoin on a new connection is refused.
Whether a connection heard something is decided without waiting on time
(:class:`~tests.integration.listeners.Listener`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from chat.domain.users import User
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import Answer, HostedApp
from tests.integration.chat_calls import (
    BACKEND_MODES,
    NEW,
    body_of,
    doc,
    membership,
    post,
    principal,
)
from tests.integration.conftest import LoadApp
from tests.integration.listeners import Listener, connect
from tests.integration.recording_server import RecordingServer, Reply
from tests.integration.second_host import second_process

#: The cursor before a document's first message.
FIRST_CURSOR = "YzE6MA"


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


async def join(host: HostedApp, user: User, document: str, listener: Listener) -> Answer:
    """Join ``document`` with ``listener``'s connection."""
    return await membership(
        host, "join_document", document, listener.connection_id, principal(user)
    )


async def grant(host: HostedApp, document: str, user: User) -> None:
    granted = await host.call(
        "put_member",
        method="PUT",
        document_id=document,
        route_params={"userId": user.id},
        body={"role": "writer"},
    )
    assert granted.status_code == 201, granted.get_body()


async def revoke(host: HostedApp, document: str, user: User) -> None:
    revoked = await host.call(
        "remove_member", method="DELETE", document_id=document, route_params={"userId": user.id}
    )
    assert revoked.status_code == 204, revoked.get_body()


def refused(answer: Answer) -> bool:
    return answer.status_code == 403 and body_of(answer)["error"]["code"] == "forbidden"


async def users_requests(host: HostedApp, user: User, document: str) -> list[Answer]:
    """A send, a history read and a catch-up by ``user`` on ``host``."""
    headers = principal(user)
    return [
        await post(host, user, document, "still here?"),
        await host.call("list_messages", method="GET", document_id=document, headers=headers),
        await host.call(
            "list_messages",
            method="GET",
            document_id=document,
            headers=headers,
            params={"after": FIRST_CURSOR},
        ),
    ]


@pytest.mark.parametrize("setup", BACKEND_MODES)
async def test_once_a_revocation_answered_no_instance_admits_the_user_nor_does_their_socket_hear(
    load_app: LoadApp, clients: AsyncExitStack, tmp_path: Path, setup: dict[str, str]
) -> None:
    document = doc(f"revoked-{'-'.join(setup.values()) or 'signalr'}")
    first = await load_app(DOCCHAT_ACCESS="members", **setup)
    for user in (ALICE, BOB):
        await grant(first, document, user)
    async with second_process(first, tmp_path) as other:
        alice, bob = await connect(clients, first, ALICE), await connect(clients, first, BOB)
        assert (await join(first, ALICE, document, alice)).status_code == 204
        assert (await join(other, BOB, document, bob)).status_code == 204
        # The other instance has admitted Alice just now (a cache would remember that).
        assert [a.status_code for a in await users_requests(other, ALICE, document)] == [
            201,
            200,
            200,
        ]
        assert NEW in await alice.heard_before_marker()

        await revoke(first, document, ALICE)

        assert all(map(refused, await users_requests(other, ALICE, document)))
        assert refused(await join(other, ALICE, document, alice))
        assert (await post(other, BOB, document, "after the revocation")).status_code == 201
        assert NEW not in await alice.heard_before_marker()
        assert NEW in await bob.heard_before_marker()
        again = await connect(clients, other, ALICE)
        assert refused(await join(other, ALICE, document, again))
        assert refused(await join(first, ALICE, document, again))


@pytest.mark.parametrize("setup", BACKEND_MODES)
async def test_a_connection_that_only_watches_a_document_stops_hearing_it_when_revoked(
    load_app: LoadApp, clients: AsyncExitStack, tmp_path: Path, setup: dict[str, str]
) -> None:
    """A watch (a listed document's live unread count) hears the document as a join does,
    is refused to a non-member, and ends with the membership, on every instance."""
    document = doc(f"watched-{'-'.join(setup.values()) or 'signalr'}")
    first = await load_app(DOCCHAT_ACCESS="members", **setup)
    await grant(first, document, ALICE)
    async with second_process(first, tmp_path) as other:
        alice, bob = await connect(clients, first, ALICE), await connect(clients, other, BOB)
        assert refused(await watch(other, BOB, document, bob))
        assert (await watch(other, ALICE, document, alice)).status_code == 204
        assert (await post(first, ALICE, document, "heard while watching")).status_code == 201
        assert NEW in await alice.heard_before_marker()
        assert NEW not in await bob.heard_before_marker()

        await revoke(other, document, ALICE)

        await grant(first, document, BOB)
        assert (await post(first, BOB, document, "after the revocation")).status_code == 201
        assert NEW not in await alice.heard_before_marker()
        again = await connect(clients, first, ALICE)
        assert refused(await watch(first, ALICE, document, again))


async def watch(host: HostedApp, user: User, document: str, listener: Listener) -> Answer:
    """Watch ``document`` with ``listener``'s connection."""
    return await membership(
        host, "watch_document", document, listener.connection_id, principal(user)
    )


@pytest.mark.parametrize("setup", BACKEND_MODES[::2], ids=["signalr-rest", "webpubsub-rest"])
async def test_a_revocation_the_service_fails_is_kept_answered_503_and_a_retry_finishes_it(
    load_app: LoadApp, clients: AsyncExitStack, tmp_path: Path, setup: dict[str, str]
) -> None:
    """On an instance whose service answers 500 to everything, the DELETE removes the
    membership (nothing of the user's is admitted anywhere) and says, with a stable code,
    that the user's connections still hear; the same DELETE again, on an instance that
    reaches the service, closes them."""
    document = doc(f"revoke-fails-{'-'.join(setup.values()) or 'signalr'}")
    first = await load_app(DOCCHAT_ACCESS="members", **setup)
    await grant(first, document, ALICE)
    alice = await connect(clients, first, ALICE)
    assert (await join(first, ALICE, document, alice)).status_code == 204
    delete: dict[str, Any] = {
        "method": "DELETE",
        "document_id": document,
        "route_params": {"userId": ALICE.id},
    }
    key = first.environment["AzureSignalRConnectionString"].split("AccessKey=")[1].split(";")[0]
    with RecordingServer(default_reply=Reply(500)) as failing:
        broken = f"Endpoint={failing.url};AccessKey={key};Version=1.0;"
        async with second_process(
            first,
            tmp_path,
            AzureSignalRConnectionString=broken,
            WebPubSubConnectionString=broken,
        ) as failing_instance:
            failed = await failing_instance.call("remove_member", **delete)

        assert failed.status_code == 503, failed.get_body()
        assert body_of(failed)["error"]["code"] == "revocation_incomplete"
        assert body_of(failed)["error"]["removed"] is True
        assert "Retry-After" in failed.headers
        assert any(r.path.endswith(":closeConnections") for r in failing.requests)
    assert all(map(refused, await users_requests(first, ALICE, document)))
    retried = await first.call("remove_member", **delete)
    assert retried.status_code == 204, retried.get_body()
    assert NEW not in await alice.heard_before_marker()
