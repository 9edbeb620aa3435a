"""Event handlers: the service telling an app what its clients do, as CloudEvents over HTTP.

Every event is a POST in CloudEvents binary mode to the URL of the first matching rule
(:mod:`devstack.emulator_core.upstream_rules`, categories ``system`` and ``user``), with the
``ce-*`` headers of Azure docs reference-cloud-events.md: ``ce-specversion``, ``ce-type``
(``azure.webpubsub.sys.<event>`` or ``azure.webpubsub.user.<event>``), ``ce-source``,
``ce-id``, ``ce-time``, ``ce-hub``, ``ce-connectionId``, ``ce-eventName``, ``ce-userId`` and
``ce-subprotocol`` when there are any, and ``ce-signature``: ``sha256=<hex>`` of the
connection id under the AccessKey. Before the first event to a URL the service asks it, with
``OPTIONS`` and ``WebHook-Request-Origin: <service host>``, whether it takes events from this
service: only a 2xx with ``WebHook-Allowed-Origin`` ``*`` or that host lets events through
(abuse protection; the OPTIONS goes to the URL with ``{event}`` = ``validate``).

``connect`` and user events block: their answer matters to the client. ``connected`` and
``disconnected`` do not, and only their failures are logged. One connection's events go out
one at a time, in the order they happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from devstack.emulator_core.cli import masked_url
from devstack.emulator_core.upstream import ConnectionTurns, UpstreamSender
from devstack.emulator_core.upstream_rules import UpstreamRule, first_upstream_url

__all__ = ["SYSTEM", "USER", "Answer", "Caller", "ConnectionEvents", "Upstream"]

log = logging.getLogger("devstack.webpubsub")

SYSTEM, USER = "system", "user"
_SYSTEM_TYPE = "azure.webpubsub.sys."
_USER_TYPE = "azure.webpubsub.user."
#: The emulator does not read a bigger answer (Microsoft's preview emulator's cap).
MAX_ANSWER_BYTES = 16 * 1024 * 1024
_ALLOWED_ORIGIN = "WebHook-Allowed-Origin"
_REQUEST_ORIGIN = "WebHook-Request-Origin"


@dataclass(frozen=True)
class Caller:
    """What event requests say about the connection they concern."""

    connection_id: str
    hub: str
    user_id: str | None = None
    subprotocol: str | None = None


@dataclass(frozen=True)
class Answer:
    """An event handler's answer: status, body and Content-Type; 500 when unreachable."""

    status: int
    body: bytes = b""
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Upstream(UpstreamSender):
    """Sends one emulator's event requests; every method must run on its event loop."""

    def __init__(
        self, rules: Sequence[UpstreamRule], access_keys: Sequence[str], timeout: float
    ) -> None:
        super().__init__(rules, access_keys, timeout)
        #: The host name the service's events come from, as its clients' Endpoint names it.
        self.origin = "localhost"
        self._validated: dict[str, asyncio.Task[bool]] = {}
        self._ids = itertools.count()

    def handles(self, hub: str, kind: str, event: str) -> bool:
        """Whether any rule takes ``event`` of ``kind`` (system or user) in ``hub``."""
        return first_upstream_url(self.rules, hub, kind, event) is not None

    def events_of(self, caller: Caller) -> ConnectionEvents:
        return ConnectionEvents(self, caller)

    async def post(
        self, caller: Caller, kind: str, event: str, body: bytes, content_type: str
    ) -> Answer | None:
        """Send one event; None when no rule takes it, a 500 when it could not be sent."""
        rule_url = first_upstream_url(self.rules, caller.hub, kind, event)
        if rule_url is None:
            return None
        operation = f"{caller.hub}/{kind}/{event} of connection {caller.connection_id}"
        validate_url = first_upstream_url(self.rules, caller.hub, kind, "validate")
        try:
            if not await self._validated_once(validate_url or rule_url):
                log.warning("upstream %s: %s refused this service", operation, masked_url(rule_url))
                return Answer(500)
            headers = self._headers(caller, kind, event, content_type)
            async with self._session().post(rule_url, data=body, headers=headers) as response:
                answer = await _read(response)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("upstream %s failed: %s", operation, str(error) or type(error).__name__)
            return Answer(500)
        level = logging.INFO if answer.ok else logging.WARNING
        log.log(level, "upstream %s answered %d", operation, answer.status)
        return answer

    async def _validated_once(self, url: str) -> bool:
        """Abuse protection, once per URL (concurrent first events share the request)."""
        check = self._validated.get(url)
        if check is None or (check.done() and (check.exception() or not check.result())):
            check = self._validated[url] = asyncio.ensure_future(self._validate(url))
        return await asyncio.shield(check)

    async def _validate(self, url: str) -> bool:
        headers = {_REQUEST_ORIGIN: self.origin}
        async with self._session().options(url, headers=headers) as response:
            allowed = {
                origin.strip().lower()
                for origin in response.headers.getall(_ALLOWED_ORIGIN, [])
                for origin in origin.split(",")
            }
            return response.status // 100 == 2 and bool(allowed & {"*", self.origin.lower()})

    def _headers(self, caller: Caller, kind: str, event: str, content_type: str) -> dict[str, str]:
        headers = {
            "Content-Type": content_type,
            "ce-specversion": "1.0",
            "ce-type": (_SYSTEM_TYPE if kind == SYSTEM else _USER_TYPE) + event,
            "ce-source": f"/hubs/{caller.hub}/client/{caller.connection_id}",
            "ce-id": str(next(self._ids)),
            "ce-time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "ce-hub": caller.hub,
            "ce-connectionId": caller.connection_id,
            "ce-eventName": event,
            "ce-awpsversion": "1.0",
            _REQUEST_ORIGIN: self.origin,
        }
        if caller.user_id:
            headers["ce-userId"] = caller.user_id
        if caller.subprotocol:
            headers["ce-subprotocol"] = caller.subprotocol
        if self._access_keys:
            headers["ce-signature"] = ",".join(
                "sha256="
                + hmac.new(key.encode(), caller.connection_id.encode(), hashlib.sha256).hexdigest()
                for key in self._access_keys
            )
        return headers


class ConnectionEvents(ConnectionTurns[Upstream, Caller]):
    """One connection's events, sent one at a time in the order they happened."""

    async def send(self, kind: str, event: str, body: bytes, content_type: str) -> Answer | None:
        """A blocking event (``connect``, user events): the handler's answer."""
        async with self._turn:
            return await self._upstream.post(self._caller, kind, event, body, content_type)

    def notify(self, event: str, body: bytes) -> None:
        """A system event whose answer does not matter (``connected``, ``disconnected``)."""
        self._upstream.in_background(asyncio.ensure_future(self._notify(event, body)))

    async def _notify(self, event: str, body: bytes) -> None:
        await self.send(SYSTEM, event, body, "application/json")


async def _read(response: aiohttp.ClientResponse) -> Answer:
    body = await response.content.read(MAX_ANSWER_BYTES + 1)
    if len(body) > MAX_ANSWER_BYTES:
        return Answer(500)
    return Answer(response.status, body, response.headers.get("Content-Type", ""))
