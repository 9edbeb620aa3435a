""":class:`AsyncDocchatClient`: the core's calls carried over ``httpx.AsyncClient``, for asyncio
(:class:`~docchat_client._sync.DocchatClient`'s twin: the same calls, answers and errors)."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from docchat_client._core import EVENT_TYPES, Call, Core, Paging, RetryPolicy
from docchat_client.auth import AsyncTokenCredential, Identity, TokenCache, TokenCredential
from docchat_client.errors import DocchatError
from docchat_client.models import JSON, Member, Message, Notification, Role, Webhook, WebhookFailure

__all__ = ["AsyncClock", "AsyncDocchatClient"]

_Item = TypeVar("_Item")


class AsyncClock(Protocol):
    """Monotonic time and sleeping: the retry waits' seam (tests pass a fake)."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class AsyncDocchatClient:
    """docchat's HTTP API for a backend service, for asyncio: :class:`DocchatClient`'s
    twin. ``credential`` may be sync or async (``azure.identity.aio``).

    ``base_url`` is the app (``https://<app>.azurewebsites.net``, ``http://localhost:7071``).
    ``function_key`` goes with the service routes (send, members, webhooks) as
    ``x-functions-key``; ``credential`` (``get_token(scope)``) adds a bearer token to every
    call for a deployment behind Microsoft Entra, for ``scope`` (default: the app's origin
    with ``/.default``; see :func:`docchat_client.auth.default_scope`); ``identity`` is the
    user the reads (user routes) are made for (:meth:`as_user` gives another). ``timeout``
    bounds each try in seconds; ``retry`` each call's tries (:class:`RetryPolicy`).
    ``transport`` is httpx's (``httpx.MockTransport`` in tests). Use it as a context manager,
    or :meth:`close` it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        function_key: str | None = None,
        credential: TokenCredential | AsyncTokenCredential | None = None,
        scope: str | None = None,
        identity: Identity | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: AsyncClock | None = None,
    ) -> None:
        self._core = Core(base_url, function_key, identity, scope, timeout, retry or RetryPolicy())
        self._credential = credential
        self._tokens = TokenCache(self._core.scope or "", time.time)
        self._clock: AsyncClock = clock or SystemClock()
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        self._owns_http = True

    async def __aenter__(self) -> AsyncDocchatClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (not a pool :meth:`as_user` shares from another)."""
        if self._owns_http:
            await self._http.aclose()

    def as_user(self, identity: Identity) -> AsyncDocchatClient:
        """This client, reading as ``identity``: the same pool and credentials."""
        view = copy.copy(self)
        view._core = dataclasses.replace(self._core, identity=identity)
        view._owns_http = False
        return view

    # -- messages ---------------------------------------------------------------------

    async def send(
        self,
        document_id: str,
        text: str,
        *,
        sender_id: str,
        sender_name: str | None = None,
        id: str | None = None,
        reply_to: str | None = None,
        mentions: Sequence[str] | None = None,
        anchor: JSON | None = None,
        deadline: float | None = None,
    ) -> Message:
        """Post ``text`` for ``sender_id`` (service route); a reply with ``reply_to``, a
        root anchored with ``anchor``, notifying ``mentions``. Without ``id`` a uuid is
        made, and every try carries it: docchat stores the message once. 429 and 503 are
        tried again after their ``Retry-After`` within ``deadline`` seconds (default: the
        policy's); what fails raises a :class:`~docchat_client.errors.DocchatError` whose
        ``stored`` and ``message_id`` say what became of it."""
        call = self._core.send(
            document_id,
            text,
            sender_id=sender_id,
            sender_name=sender_name,
            id=id,
            reply_to=reply_to,
            mentions=mentions,
            anchor=anchor,
        )
        return Message.from_json(await self._call(call, deadline))

    def history(self, document_id: str, *, limit: int | None = None) -> AsyncIterator[Message]:
        """The timeline (roots only), newest first, page after page (user route)."""
        return self._paged(self._core.history(document_id, limit))

    def catch_up(
        self, document_id: str, *, after: str, limit: int | None = None
    ) -> AsyncIterator[Message]:
        """Every message created or changed after the cursor ``after``, once each, oldest
        change first (user route). Keep the last one's ``cursor`` to catch up from next."""
        return self._paged(self._core.catch_up(document_id, after, limit))

    def thread(
        self, document_id: str, root_id: str, *, limit: int | None = None
    ) -> AsyncIterator[Message]:
        """A thread: its root, then its replies oldest first (user route)."""
        return self._paged(self._core.thread(document_id, root_id, limit))

    def threads(
        self,
        document_id: str,
        *,
        resolved: bool | None = None,
        anchored: bool | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[Message]:
        """The roots with replies, an anchor or a resolution, latest change first; each
        filter left None takes either (user route)."""
        return self._paged(self._core.threads(document_id, resolved, anchored, limit))

    def notifications(
        self, *, unread: bool = False, limit: int | None = None
    ) -> AsyncIterator[Notification]:
        """The identity's inbox across documents, newest first (user route)."""
        return self._paged(self._core.notifications(unread, limit))

    # -- members ----------------------------------------------------------------------

    async def put_member(self, document_id: str, user_id: str, role: Role) -> Member:
        """Make the user a ``reader`` or ``writer`` (``DOCCHAT_ACCESS=members``)."""
        return Member.from_json(await self._call(self._core.put_member(document_id, user_id, role)))

    async def remove_member(self, document_id: str, user_id: str) -> None:
        """End the membership; a 503 ``revocation_incomplete`` is tried again (safe), and
        one that persists raises with ``removed`` true."""
        await self._call(self._core.remove_member(document_id, user_id))

    def members(self, document_id: str, *, limit: int | None = None) -> AsyncIterator[Member]:
        """The document's members, page after page."""
        return self._paged(self._core.members(document_id, limit))

    # -- webhooks ---------------------------------------------------------------------

    async def put_webhook(
        self, name: str, url: str, events: Sequence[str] = EVENT_TYPES
    ) -> Webhook:
        """Register the webhook (its ``secret`` is in the answer, only this once) or change
        its url and events (no secret)."""
        return Webhook.from_json(await self._call(self._core.put_webhook(name, url, events)))

    async def webhooks(self) -> list[Webhook]:
        """Every webhook, without secrets."""
        return self._core.webhook_list(await self._call(self._core.list_webhooks()))

    async def delete_webhook(self, name: str) -> None:
        """Remove the webhook and its pending retries (404 if there is none)."""
        await self._call(self._core.delete_webhook(name))

    def webhook_failures(
        self, name: str, *, limit: int | None = None
    ) -> AsyncIterator[WebhookFailure]:
        """The webhook's deliveries that exhausted their retries, newest first."""
        return self._paged(self._core.webhook_failures(name, limit))

    # -- transport --------------------------------------------------------------------

    async def _paged(self, paging: Paging[_Item]) -> AsyncIterator[_Item]:
        call: Call | None = paging.call
        while call is not None:
            body = await self._call(call)
            for item in paging.items(body):
                yield item
            call = paging.following(call, body)

    async def _call(self, call: Call, deadline: float | None = None) -> Any:
        """``call``'s answer, tried again on 429, 503 and no answer while the policy allows."""
        tries = self._core.tries(self._clock.now, deadline)
        while True:
            request = self._http.build_request(
                call.method,
                self._core.url(call),
                params=call.params,
                json=call.body,
                headers=self._core.headers(call, await self._bearer()),
                timeout=tries.timeout(self._core.timeout),
            )
            failure: DocchatError
            try:
                response = await self._http.send(request)
            except httpx.TransportError as error:
                failure = self._core.transport_error(call, error)
            else:
                try:
                    return self._core.read(call, response)
                except DocchatError as error:
                    failure = error
            await self._clock.sleep(tries.wait_after(failure))

    async def _bearer(self) -> str | None:
        if self._credential is None:
            return None
        current = self._tokens.current()
        if current is not None:
            return current
        token = self._credential.get_token(self._tokens.scope)
        return self._tokens.keep(await token if inspect.isawaitable(token) else token)
