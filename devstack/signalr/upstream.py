"""Upstream requests: the service telling an app what its clients do, as Microsoft's emulator
tells it (azure-signalr src/Microsoft.Azure.SignalR.Emulator).

Every event is a POST to the URL of the first matching rule (:mod:`.upstream_rules`) with the
``X-ASRS-*`` headers (Upstreams/HttpUpstreamTrigger.cs TriggerAsync): connection id, hub,
category and event always; user id, claims and the client's query only when there are any;
the signature of the connection id under each AccessKey. Bodies
(HubEmulator/HttpServerlessMessageHandler.cs): ``{"type":10}`` for ``connected``,
``{"Type":11,"Error":...}`` for ``disconnected`` (no ``Error`` after a clean close), and for a
hub invocation the client's message without its framing, in the client's protocol.

What comes back matters only to a blocking invocation (one with an invocation id): a 200 body
is already the framed completion and goes to the client as it is; an empty 200 or a 204 is an
empty completion; any other status fails the invocation with ``Invocation failed, status
code N``. A request that fails or times out counts as a 500, as the emulator's
SafeAuthAndSendAsync makes it. Everything else is only logged.

One connection's events go upstream one at a time and in order: the emulator awaits each
before reading the client's next message (HubEmulator/HubProxyHandler.cs
DispatchMessagesAsync), and its disconnected event follows whatever was in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from devstack.emulator_core.upstream import ConnectionTurns, UpstreamSender
from devstack.emulator_core.upstream_rules import first_upstream_rule, first_upstream_url
from devstack.signalr.protocol import ClientMessage, HubProtocol

__all__ = ["Caller", "ConnectionEvents", "Upstream", "connection_signature"]

log = logging.getLogger("devstack.signalr")

CONNECTIONS, MESSAGES = "connections", "messages"
CONNECTED, DISCONNECTED = "connected", "disconnected"
JSON = "application/json"
#: The emulator does not forward a bigger answer to an invocation.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: OpenConnectionMessage as Newtonsoft writes it (JsonProperty "type").
_OPEN_CONNECTION = b'{"type":10}'


@dataclass(frozen=True)
class Caller:
    """What upstream requests say about the connection they concern."""

    connection_id: str
    hub: str
    user_id: str | None
    #: Each claim as .NET's ``Claim.ToString()`` writes it: ``type: value``.
    claims: tuple[str, ...]
    #: The query of the client's connect request with its ``?``, or empty.
    query: str


def connection_signature(connection_id: str, access_keys: Sequence[str]) -> str:
    """``sha256=<HEX>`` of the connection id under each key (the key's text as UTF-8, hex in
    upper case as .NET's BitConverter writes it: Common/Utils.cs GetConnectionSignature),
    joined by a bare comma: the extension splits on ``,`` without trimming
    (SignalRTriggerUtils.GetSignatureList), so a space would hide every key but the first."""
    return ",".join(
        "sha256="
        + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest().upper()
        for key in access_keys
    )


class Upstream(UpstreamSender):
    """Sends one emulator's upstream requests; every method must run on its event loop."""

    def events_of(self, caller: Caller) -> ConnectionEvents:
        """The upstream events of one connection, sent in order."""
        return ConnectionEvents(self, caller)

    def url(self, hub: str, category: str, event: str) -> str | None:
        """Where ``event`` goes; None when no rule takes it."""
        return first_upstream_url(self.rules, hub, category, event)

    async def post(
        self, url: str, caller: Caller, category: str, event: str, body: bytes, content_type: str
    ) -> tuple[int, bytes | str]:
        """POST one event; the status and the body of a 200 (or why it could not be read)."""
        operation = f"{caller.hub}/{category}/{event} of connection {caller.connection_id}"
        headers = self._headers(caller, category, event, content_type)
        try:
            async with self._session().post(url, data=body, headers=headers) as response:
                _log_status(operation, response.status)
                if response.status != 200:
                    return response.status, b""
                return 200, await _read_answer(response)
        except (aiohttp.ClientError, TimeoutError) as error:
            # Without the query: it may carry the function key (?code=).
            where = url.partition("?")[0]
            log.warning(
                "upstream %s to %s failed: %s", operation, where, str(error) or type(error).__name__
            )
            return 500, b""

    def _headers(
        self, caller: Caller, category: str, event: str, content_type: str
    ) -> dict[str, str]:
        headers = {
            "X-ASRS-Connection-Id": caller.connection_id,
            "X-ASRS-Hub": caller.hub,
            "X-ASRS-Category": category,
            "X-ASRS-Event": event,
            "Content-Type": content_type,
        }
        if caller.user_id:
            headers["X-ASRS-User-Id"] = caller.user_id
        if caller.claims:
            # HttpClient joins a header's values with ", ", which the extension splits again.
            headers["X-ASRS-User-Claims"] = ", ".join(caller.claims)
        if caller.query:
            headers["X-ASRS-Client-Query"] = caller.query
        if self._access_keys:
            headers["X-ASRS-Signature"] = connection_signature(
                caller.connection_id, self._access_keys
            )
        rule = first_upstream_rule(self.rules, caller.hub, category, event)
        if rule is not None and rule.auth_resource is not None:
            if self._identity is None:
                log.warning("upstream auth for %s: the emulator has no identity", caller.hub)
            else:
                headers["Authorization"] = f"Bearer {self._identity(rule.auth_resource)}"
        return headers


class ConnectionEvents(ConnectionTurns[Upstream, Caller]):
    """One connection's upstream events, sent one at a time in the order they happened."""

    async def connected(self) -> None:
        """Tell upstream the connection opened; its answer is only logged (a refusal does
        not close the connection: HubProxyHandler.cs RunHubAsync)."""
        await self._send(CONNECTIONS, CONNECTED, _OPEN_CONNECTION, JSON)

    def disconnected(self, error: str | None) -> None:
        """Tell upstream the connection ended, after anything still in flight."""
        body: dict[str, object] = {"Type": 11}
        if error is not None:
            body["Error"] = error
        payload = json.dumps(body, separators=(",", ":")).encode()
        send = self._send(CONNECTIONS, DISCONNECTED, payload, JSON)
        self._upstream.in_background(asyncio.create_task(send))

    async def invoke(self, message: ClientMessage, protocol: HubProtocol) -> bytes | None:
        """Forward a hub invocation; the frame the client gets back, if any."""
        target = message.target or ""
        url = self._upstream.url(self._caller.hub, MESSAGES, target)
        if url is None:
            # As the service ignores an event no upstream takes (HttpServerlessMessageHandler.cs
            # WriteMessageAsync: "Upstream for this event is not set, ignore the event").
            log.info(
                "connection %s invoked %r: ignored, no upstream takes it%s",
                self._caller.connection_id,
                target,
                " (the client waits for a completion that never comes)"
                if message.invocation_id
                else "",
            )
            return None
        async with self._turn:
            status, answer = await self._upstream.post(
                url, self._caller, MESSAGES, target, message.payload, protocol.content_type
            )
        if message.invocation_id is None:
            return None
        return _completion(protocol, message.invocation_id, status, answer)

    async def _send(self, category: str, event: str, body: bytes, content_type: str) -> None:
        url = self._upstream.url(self._caller.hub, category, event)
        if url is None:
            return
        async with self._turn:
            await self._upstream.post(url, self._caller, category, event, body, content_type)


def _completion(
    protocol: HubProtocol, invocation_id: str, status: int, answer: bytes | str
) -> bytes:
    """What the client gets for upstream's answer (HttpServerlessMessageHandler.cs
    WriteMessageAsync)."""
    if isinstance(answer, str):
        return protocol.completion(invocation_id, error=answer)
    if status == 200 and answer:
        return answer
    if status in (200, 204):
        return protocol.completion(invocation_id)
    return protocol.completion(invocation_id, error=f"Invocation failed, status code {status}")


async def _read_answer(response: aiohttp.ClientResponse) -> bytes | str:
    """A 200's body, or the error the emulator completes the invocation with instead."""
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        return "Invocation failed, response too large."
    body = bytearray()
    try:
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                return "Invocation failed, response too large."
    except TimeoutError:
        return "Invocation failed, response cancelled."
    except aiohttp.ClientError as error:
        return f"Invocation failed, error: {error}."
    return bytes(body)


def _log_status(operation: str, status: int) -> None:
    # HttpResponseMessageExtensions.CheckResponse: 200 and 204 are what upstream should say.
    if status in (200, 204):
        log.info("upstream %s: %d", operation, status)
    else:
        log.warning("upstream %s answered %d", operation, status)
