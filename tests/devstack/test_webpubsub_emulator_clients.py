"""The Web PubSub emulator with the official clients: ``@azure/web-pubsub-client`` in Node and
``azure-messaging-webpubsubclient`` in Python, tokens from ``azure-messaging-webpubsubservice``.

Protocol facts: azure-webpubsub protocols/client/client-spec.md (1.4 recovery, 3.1 ackId,
3.2 sequenceId) and Azure docs reference-json-webpubsub-subprotocol.md; roles:
includes/reference-permission.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.messaging.webpubsubclient import WebPubSubClient, WebPubSubClientCredential
from azure.messaging.webpubsubclient.models import CallbackType, WebPubSubDataType
from azure.messaging.webpubsubservice import WebPubSubServiceClient

from devstack.emulator_core.running import connection_string, endpoint_url
from devstack.webpubsub import DEFAULT_ACCESS_KEY, WebPubSubEmulator, WebPubSubSettings, serve
from devstack.webpubsub.payload import Payload, PayloadError
from tests.fixtures.waiting import eventually
from tests.fixtures.webpubsub_client import NodeWebPubSubClient

HUB = "Chat"
BOTH = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]


@pytest.fixture
async def emulator() -> AsyncIterator[WebPubSubEmulator]:
    emulator = WebPubSubEmulator(settings=WebPubSubSettings(reconnect_window=2.0))
    async with serve(emulator) as port:
        emulator.port = port  # type: ignore[attr-defined]
        yield emulator


@pytest.fixture
def service(emulator: WebPubSubEmulator) -> WebPubSubServiceClient:
    endpoint = endpoint_url("127.0.0.1", emulator.port)  # type: ignore[attr-defined]
    return WebPubSubServiceClient.from_connection_string(
        connection_string(endpoint, DEFAULT_ACCESS_KEY), hub=HUB
    )


def client_url(service: WebPubSubServiceClient, user: str, roles: list[str] = BOTH) -> str:
    url: str = service.get_client_access_token(user_id=user, roles=roles)["url"]
    return url


async def group_messages(client: NodeWebPubSubClient, count: int) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    while len(found) < count:
        event = await client.next_event()
        if event["event"] == "group-message":
            found.append(event)
    return found


@pytest.mark.parametrize("protocol", ["reliable", "json"])
async def test_js_clients_join_send_and_hear_only_their_group(
    service: WebPubSubServiceClient, protocol: str
) -> None:
    async with (
        NodeWebPubSubClient.connect(client_url(service, "alice"), protocol=protocol) as alice,
        NodeWebPubSubClient.connect(client_url(service, "bob"), protocol=protocol) as bob,
        NodeWebPubSubClient.connect(client_url(service, "carol"), protocol=protocol) as carol,
    ):
        assert alice.user_id == "alice"
        for client in (alice, bob):
            assert (await client.command("joinGroup", group="doc:1"))["error"] is None
        assert (await carol.command("joinGroup", group="doc:2"))["error"] is None
        sent = await alice.command("sendToGroup", group="doc:1", data={"text": "hi"}, noEcho=True)
        assert sent["error"] is None
        [heard] = await group_messages(bob, 1)
        assert heard["data"] == {"text": "hi"}
        assert heard["fromUserId"] == "alice"
        assert (heard["sequenceId"] is not None) == (protocol == "reliable")
        await asyncio.to_thread(
            service.send_to_group, "doc:2", "for two", content_type="text/plain"
        )
        [other] = await group_messages(carol, 1)
        assert other["data"] == "for two"
        assert other["dataType"] == "text"
        await bob.command("leaveGroup", group="doc:1")
        await alice.command("sendToGroup", group="doc:1", data="after leave", dataType="text")
        [echo] = await group_messages(alice, 1)  # no noEcho this time: alice hears herself
        assert echo["data"] == "after leave"
    assert not [e for e in bob.events if e.get("data") == "after leave"]
    assert not [e for e in carol.events if e.get("group") == "doc:1"]


async def test_the_same_ack_id_again_is_duplicate_and_not_sent_twice(
    service: WebPubSubServiceClient,
) -> None:
    """client-spec.md 3.1: the service refuses to execute the same ackId twice."""
    async with (
        NodeWebPubSubClient.connect(client_url(service, "alice")) as alice,
        NodeWebPubSubClient.connect(client_url(service, "bob")) as bob,
    ):
        await bob.command("joinGroup", group="g")
        first = await alice.command("sendToGroup", group="g", data=1, ackId=7)
        again = await alice.command("sendToGroup", group="g", data=1, ackId=7)
        assert first == {
            "event": "done",
            "command": "sendToGroup",
            "error": None,
            "duplicated": False,
        }
        assert again["duplicated"] is True
        await alice.command("sendToGroup", group="g", data=2, ackId=8)
        heard = await group_messages(bob, 2)
        assert [event["data"] for event in heard] == [1, 2]


@pytest.mark.parametrize("group", ["g" * 1025, "   "], ids=["1025 characters", "whitespace"])
async def test_an_invalid_group_is_acked_with_a_documented_error_name(
    service: WebPubSubServiceClient, group: str
) -> None:
    """reference-json-webpubsub-subprotocol.md: an ack's error name is NotFound, Forbidden,
    Timeout, InternalServerError or Duplicate (the emulator said BadRequest)."""
    async with NodeWebPubSubClient.connect(client_url(service, "alice")) as alice:
        for command in ("joinGroup", "sendToGroup"):
            error = (await alice.command(command, group=group, data=1))["error"]
            assert "Forbidden" in error
            assert "BadRequest" not in error


async def test_roles_decide_who_may_join_and_send_and_rest_grants_more(
    service: WebPubSubServiceClient,
) -> None:
    """reference-permission.md: without roles only events; .<group> roles for one group."""
    only_doc1 = ["webpubsub.joinLeaveGroup.doc1", "webpubsub.sendToGroup.doc1"]
    async with (
        NodeWebPubSubClient.connect(client_url(service, "none", roles=[])) as none,
        NodeWebPubSubClient.connect(client_url(service, "one", roles=only_doc1)) as one,
    ):
        refused = await none.command("joinGroup", group="doc1")
        assert "Forbidden" in refused["error"]
        assert (await one.command("joinGroup", group="doc1"))["error"] is None
        assert "Forbidden" in (await one.command("joinGroup", group="doc2"))["error"]
        assert "Forbidden" in (await one.command("sendToGroup", group="doc2", data=1))["error"]
        await asyncio.to_thread(
            service.grant_permission, "joinLeaveGroup", none.connection_id, target_name="doc2"
        )
        assert await asyncio.to_thread(
            service.has_permission, "joinLeaveGroup", none.connection_id, target_name="doc2"
        )
        assert (await none.command("joinGroup", group="doc2"))["error"] is None
        await asyncio.to_thread(
            service.revoke_permission, "joinLeaveGroup", none.connection_id, target_name="doc2"
        )
        assert "Forbidden" in (await none.command("leaveGroup", group="doc2"))["error"]


async def test_a_reliable_client_recovers_its_connection_and_misses_nothing(
    emulator: WebPubSubEmulator, service: WebPubSubServiceClient
) -> None:
    """client-spec.md 1.4: after a drop the client reconnects with awps_connection_id and
    awps_reconnection_token; the service resends what was not acknowledged."""
    async with NodeWebPubSubClient.connect(client_url(service, "alice")) as alice:
        await alice.command("joinGroup", group="g")
        emulator.send_to_group(HUB, "g", _text("before"))
        assert [m["data"] for m in await group_messages(alice, 1)] == ["before"]
        assert emulator.drop_socket(HUB, alice.connection_id)
        for number in range(3):
            emulator.send_to_group(HUB, "g", _text(f"during {number}"))
        heard = await group_messages(alice, 3)
        assert [m["data"] for m in heard] == ["during 0", "during 1", "during 2"]
        assert emulator.hub(HUB).get(alice.connection_id) is not None
        # One connection throughout: connected once, never disconnected.
        assert [e["event"] for e in alice.events].count("connected") == 1
        assert not [e for e in alice.events if e["event"] == "disconnected"]


async def test_recovery_after_the_window_is_refused_with_1008_and_the_client_starts_anew(
    emulator: WebPubSubEmulator, service: WebPubSubServiceClient
) -> None:
    """client-spec.md 1.4: 1008 means the connection cannot be recovered: make a new one."""
    async with NodeWebPubSubClient.connect(
        client_url(service, "alice"), auto_reconnect=True
    ) as alice:
        old = alice.connection_id
        connection = emulator.hub(HUB).get(old)
        assert connection is not None
        connection.close("gone for good")  # the service forgets it; recovery must fail
        emulator.drop_socket(HUB, old)
        event = await alice.next_event()
        while event["event"] != "connected":
            event = await alice.next_event()
        assert event["connectionId"] != old


def _text(text: str) -> Payload:
    return Payload("text", text)


async def test_the_python_client_joins_sends_and_hears_rest_sends(
    service: WebPubSubServiceClient,
) -> None:
    heard: list[object] = []
    client = WebPubSubClient(WebPubSubClientCredential(lambda: client_url(service, "py")))
    client.subscribe(CallbackType.GROUP_MESSAGE, lambda message: heard.append(message.data))
    client.subscribe(
        CallbackType.SERVER_MESSAGE, lambda message: heard.append(("server", message.data))
    )

    def run() -> None:
        with client:
            client.join_group("g")
            client.send_to_group("g", {"n": 1}, WebPubSubDataType.JSON)
            service.send_to_group("g", {"n": 2}, content_type="application/json")
            service.send_to_user("py", "to you", content_type="text/plain")
            eventually(lambda: len(heard), until=lambda count: count >= 3, what="3 messages")

    await asyncio.to_thread(run)
    assert heard == [{"n": 1}, {"n": 2}, ("server", "to you")]


@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"event","event":"typing","dataType":"json","data":'
        + "[" * 5000
        + "]" * 5000
        + "}",
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["data nested 5,000 deep", "a frame nested 100,000 deep"],
)
async def test_a_frame_nested_past_the_json_limit_closes_the_connection_saying_why(
    service: WebPubSubServiceClient, frame: str
) -> None:
    """Issue 26: the service reads client frames with System.Text.Json (64 levels); deeper is
    an invalid request, answered as any other (the disconnected message, then close 1007),
    never a RecursionError in the emulator."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            client_url(service, "alice"), protocols=["json.webpubsub.azure.v1"]
        ) as socket,
    ):
        assert json.loads((await socket.receive(timeout=10)).data)["event"] == "connected"
        await socket.send_str(frame)
        goodbye = json.loads((await socket.receive(timeout=10)).data)
        assert goodbye["event"] == "disconnected"
        assert "nested deeper than 64" in goodbye["message"]
        assert (await socket.receive(timeout=10)).type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
        )
        assert socket.close_code == aiohttp.WSCloseCode.INVALID_TEXT


def test_a_rest_body_nested_past_the_json_limit_is_refused_as_invalid() -> None:
    """The REST API's JSON bodies (sends, event handler answers) are read within the same
    64 levels: a PayloadError, answered 400, never a RecursionError."""
    with pytest.raises(PayloadError, match="not valid application/json"):
        Payload.from_body(b"[" * 100_000 + b"]" * 100_000, "application/json")


@pytest.mark.parametrize(
    ("version", "refused"),
    [("2021-10-01", True), ("2022-11-01", False), ("2024-12-01", False), ("2025-01-01", True)],
)
async def test_an_operation_answers_only_in_the_api_versions_that_have_it(
    emulator: WebPubSubEmulator, version: str, refused: bool
) -> None:
    """azure-rest-api-specs webpubsub/data-plane/WebPubSub/stable: removing a connection from
    every group came with 2022-11-01 (2021-10-01 has no such example); sends are in every
    stable version. The official SDK, told to use ``version``, gets the service's 400."""
    endpoint = endpoint_url("127.0.0.1", emulator.port)  # type: ignore[attr-defined]
    client = WebPubSubServiceClient.from_connection_string(
        connection_string(endpoint, DEFAULT_ACCESS_KEY), hub=HUB, api_version=version
    )
    if refused:
        with pytest.raises(HttpResponseError) as error:
            await asyncio.to_thread(client.remove_connection_from_all_groups, "c1")
        assert error.value.status_code == 400
        assert "does not offer this operation" in str(error.value)
    else:
        await asyncio.to_thread(client.remove_connection_from_all_groups, "c1")
    if version != "2025-01-01":
        await asyncio.to_thread(client.send_to_all, "hi", content_type="text/plain")
