"""Calling docchat's functions as clients do, for the chat integration tests: principals,
posts, joins, and what a listening official SignalR client heard."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from chat.domain.users import User
from tests.fixtures.functions_host import Answer, HostedApp
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.webpubsub_client import NodeWebPubSubClient

#: Ids docchat refuses wherever they appear (tests/integration/test_hostile_ids.py), as
#: route values, body fields and the document a typing event names.
#: Both backends in both modes, as the settings of an app that runs on them.
BACKEND_MODES = [
    pytest.param({}, id="signalr-rest"),
    pytest.param({"DOCCHAT_SIGNALR_MODE": "bindings"}, id="signalr-bindings"),
    pytest.param({"DOCCHAT_REALTIME": "webpubsub"}, id="webpubsub-rest"),
    pytest.param(
        {"DOCCHAT_REALTIME": "webpubsub", "DOCCHAT_WEBPUBSUB_MODE": "bindings"},
        id="webpubsub-bindings",
    ),
]
HOSTILE_IDS = [
    ".",
    "..",
    " lead",
    "trail ",
    "line\u2028separator",
    "para\u2029separator",
    "\ufffd",
    "e\u0301",  # é decomposed: NFC changes it
    "%2E%2E",  # URL decoding changes it
    "%FF",
    "a/b",
    "a\\b",
    "a?b",
    "a#b",
    "tab\there",
]

CAROL = User("carol-id", "Carol")
MODES = ["rest", "bindings"]
NEW = "newMessage"
#: How long, and how often, a join waits for the service to report its connection.
NOT_YET_KNOWN_SECONDS = 10.0
NOT_YET_KNOWN_RETRY_SECONDS = 0.05


#: Documents are named per run, so no other test sees them.
RUN = uuid.uuid4().hex[:8]


def doc(name: str) -> str:
    return f"doc-{name}-{RUN}"


def principal(user: User) -> dict[str, str]:
    """The headers App Service Authentication (or a dev) sets for ``user``."""
    return {"X-MS-CLIENT-PRINCIPAL-ID": user.id, "X-MS-CLIENT-PRINCIPAL-NAME": user.name}


def body_of(response: Answer) -> Any:
    return json.loads(response.get_body())


async def post(host: HostedApp, user: User, document_id: str, text: str, **fields: Any) -> Answer:
    return await host.call(
        "send_message",
        document_id=document_id,
        headers=principal(user),
        body={"text": text, **fields},
    )


async def membership(
    host: HostedApp,
    function: str,
    document_id: str,
    connection_id: str,
    headers: dict[str, str],
    *,
    within: float = NOT_YET_KNOWN_SECONDS,
) -> Answer:
    """Call ``join_document`` or ``leave_document`` for one connection. A join the app
    answers ``connection_not_yet_known`` (the service's connected event is on its way) is
    tried again soon, as the page does, for at most ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        answer = await host.call(
            function,
            document_id=document_id,
            headers=headers,
            body={"connectionId": connection_id},
        )
        if not not_yet_known(answer) or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(NOT_YET_KNOWN_RETRY_SECONDS)


def not_yet_known(answer: Answer) -> bool:
    return answer.status_code == 503 and b"connection_not_yet_known" in answer.get_body()


async def received_message(listener: NodeHubClient) -> dict[str, Any]:
    target, arguments = await listener.next_message()
    assert target == NEW
    (message,) = arguments
    assert isinstance(message, dict)
    return message


async def nothing_before(listener: NodeHubClient, host: HostedApp, document_id: str) -> None:
    """Prove ``listener`` was sent nothing so far: a barrier message sent now to its
    document must be the very next thing it receives (deliveries keep their order)."""
    barrier = await host.call(
        "send_service_message",
        document_id=document_id,
        body={"text": "barrier", "senderId": "barrier-bot"},
    )
    assert barrier.status_code == 201
    assert (await received_message(listener))["text"] == "barrier"


async def webpubsub_event(client: NodeWebPubSubClient, event: str) -> Any:
    """The data of the next docchat event, which must be ``event`` (presence may come first).

    Group sends reach subprotocol clients as group messages and sends to one connection as
    server messages; either way docchat's JSON ``{event, data}`` is the message's data.
    """
    while True:
        message = await client.next_event()
        if message["event"] not in ("group-message", "server-message"):
            continue
        assert message["dataType"] == "json", message
        if message["data"]["event"] == event:
            return message["data"]["data"]
        assert message["data"]["event"] == "presence", message
