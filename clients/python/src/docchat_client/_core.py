"""The one core both clients share: what each operation sends, how an answer is read, when
a call is tried again, and how pages follow each other. No I/O here: :mod:`._sync` and
:mod:`._async` carry each :class:`Call` over httpx and sleep between tries, each in its way.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx

from docchat_client import errors
from docchat_client.auth import Identity, default_scope
from docchat_client.models import (
    JSON,
    Member,
    Message,
    Notification,
    Role,
    Webhook,
    WebhookFailure,
)

__all__ = ["EVENT_TYPES", "Call", "Core", "Paging", "RetryPolicy", "Tries"]

_Item = TypeVar("_Item")

#: Every event a webhook may subscribe to.
EVENT_TYPES = (
    "message.created",
    "message.updated",
    "message.deleted",
    "thread.resolved",
    "notification.created",
)
USER_AGENT = "docchat-client-python/0.1.0"
#: The answers a call is tried again after: docchat says they are safe to repeat (a send
#: by its id, the rest idempotent), and the next try may find the dependency back.
_RETRIED = (errors.RateLimited, errors.ServiceUnavailable, errors.TransportError)


@dataclass(frozen=True)
class RetryPolicy:
    """How a call retries 429, 503 and a missing answer: within ``deadline`` seconds for
    all its tries and waits together, at most ``max_tries`` tries; each wait is the answer's
    ``Retry-After`` (never less) or, without one, ``backoff`` doubling up to ``max_backoff``,
    either lengthened by up to ``jitter`` (a fraction) so that many clients spread out. A
    wait that would leave the next try less than ``min_try`` seconds before the deadline is
    not waited: the last error is raised at once (a try that cannot be answered in time would
    only turn a known answer into none; docchat's own calls take up to 1.5 s each)."""

    deadline: float = 30.0
    max_tries: int = 8
    backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.2
    min_try: float = 2.0

    def __post_init__(self) -> None:
        negative = min(self.backoff, self.jitter, self.min_try) < 0
        if self.deadline <= 0 or self.max_tries < 1 or negative:
            raise ValueError("a retry policy needs a positive deadline and at least one try")


@dataclass(frozen=True)
class Call:
    """One operation's request: ``path`` under the base URL, already escaped, its query and
    JSON body, and whose it is: a ``service`` route's (function key) or a ``user`` route's
    (an identity). ``sending`` is the id of the message a send carries."""

    method: str
    path: str
    audience: Literal["service", "user"]
    params: Mapping[str, str] = field(default_factory=dict)
    body: JSON | None = None
    sending: str | None = None


class Tries:
    """One call's tries against its policy, on a monotonic ``now``."""

    def __init__(
        self,
        policy: RetryPolicy,
        now: Callable[[], float],
        rng: Callable[[], float],
        deadline: float | None = None,
    ) -> None:
        self._policy = policy
        self._now = now
        self._rng = rng
        self._ends = now() + (policy.deadline if deadline is None else deadline)
        self._tries = 0
        self._stored: list[bool | None] = []

    def timeout(self, per_try: float) -> float:
        """This try's timeout: ``per_try``, cut to what is left of the deadline."""
        self._tries += 1
        return max(0.001, min(per_try, self._ends - self._now()))

    def wait_after(self, error: errors.DocchatError) -> float:
        """How long to wait before the next try, or raise ``error`` (its ``stored`` made
        true to every try so far) when none may follow."""
        self._stored.append(error.stored)
        error.stored = self._stored_so_far(error.stored)
        if not isinstance(error, _RETRIED) or self._tries >= self._policy.max_tries:
            raise error
        base = error.retry_after
        if base is None:
            base = min(self._policy.backoff * 2 ** (self._tries - 1), self._policy.max_backoff)
        wait = base * (1 + self._policy.jitter * self._rng())
        if self._now() + wait + self._policy.min_try >= self._ends:
            raise error
        return wait

    def _stored_so_far(self, latest: bool | None) -> bool | None:
        """What the tries together say of the message: kept if any said so; not known if
        any could not say (an earlier try may still land); else what the last one said."""
        if True in self._stored:
            return True
        if None in self._stored[:-1]:
            return None
        return latest


@dataclass(frozen=True)
class Paging(Generic[_Item]):
    """A paged read: its first call, where its items are, how each is read, and which query
    parameter carries the answer's ``continuationToken`` into the next call (``after`` for
    catch-up, whose next cursor the token is)."""

    call: Call
    parse: Callable[[JSON], _Item]
    items_key: str = "items"
    next_param: str = "continuationToken"

    def items(self, body: JSON) -> list[_Item]:
        return [self.parse(item) for item in body[self.items_key]]

    def following(self, call: Call, body: JSON) -> Call | None:
        """The call for the next page, or None after the last."""
        token = body.get("continuationToken")
        if token is None:
            return None
        return replace(call, params={**call.params, self.next_param: token})


#: The API's largest page of messages: a client that was away catches up in as few
#: requests as it can.
CATCH_UP_PAGE_SIZE = 500


def _segment(value: str) -> str:
    """A path parameter, escaped whole: a ``/`` in an id stays inside its segment."""
    if not value:
        raise ValueError("ids and names must not be empty")
    return quote(value, safe="")


def _page_params(limit: int | None, **extra: str | None) -> dict[str, str]:
    params = {name: value for name, value in extra.items() if value is not None}
    if limit is not None:
        params["limit"] = str(limit)
    return params


def _flag(value: bool | None) -> str | None:
    return None if value is None else str(value).lower()


@dataclass(frozen=True)
class Core:
    """Everything about a client but its transport: where docchat is, who calls, how long
    a try and a call may take, and each operation's :class:`Call`."""

    base_url: str
    function_key: str | None = field(default=None, repr=False)
    identity: Identity | None = None
    scope: str | None = None
    timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rng: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be the app's http(s) URL, e.g. https://app.example")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.scope is None:
            object.__setattr__(self, "scope", default_scope(self.base_url))

    # -- requests and answers ---------------------------------------------------------

    def url(self, call: Call) -> str:
        return f"{self.base_url}/api/{call.path}"

    def headers(self, call: Call, bearer: str | None) -> dict[str, str]:
        """The call's headers: the credential's token, then the function key (service
        routes) or the identity's headers (user routes), which win."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        if call.audience == "service":
            if self.function_key is not None:
                headers["x-functions-key"] = self.function_key
        elif self.identity is None:
            raise ValueError(
                "reads are docchat's user routes: give the client identity= (DevUser, "
                "BearerUser) or use client.as_user(identity)"
            )
        else:
            headers.update(self.identity.headers())
        return headers

    def tries(self, now: Callable[[], float], deadline: float | None = None) -> Tries:
        """A call's tries: within ``deadline`` seconds, else the policy's."""
        return Tries(self.retry, now, self.rng, deadline)

    def read(self, call: Call, response: httpx.Response) -> Any:
        """The answer's JSON (None for an empty 2xx), or raise its typed error."""
        if 200 <= response.status_code < 300:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise self._unexpected(call, response, "a success whose body is not JSON") from None
        raise self.error(call, response)

    def error(self, call: Call, response: httpx.Response) -> errors.DocchatError:
        """The typed error of a failed answer (see :mod:`docchat_client.errors`)."""
        status = response.status_code
        detail = _error_detail(response)
        kind: type[errors.DocchatError]
        if status == 503:
            kind = errors.ServiceUnavailable
        elif 400 <= status < 500:
            kind = errors.REFUSALS.get(status, errors.RequestRefused)
        else:
            kind = errors.UnexpectedAnswer
        stored = detail.get("stored")
        if call.sending is not None and stored is None and kind is not errors.ServiceUnavailable:
            # A refusal stores nothing (README, HTTP API); a 500 is not known.
            stored = False if issubclass(kind, errors.RequestRefused) else None
        return kind(
            detail.get("code") or f"http_{status}",
            detail.get("message") or response.reason_phrase or f"HTTP {status}",
            status=status,
            stored=stored,
            message_id=detail.get("id") or call.sending,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            removed=detail.get("removed"),
        )

    def transport_error(self, call: Call, error: httpx.TransportError) -> errors.TransportError:
        """No answer: whatever a send did is not known."""
        return errors.TransportError(
            "no_answer",
            f"{call.method} {call.path}: {type(error).__name__}: {error}",
            message_id=call.sending,
        )

    def _unexpected(
        self, call: Call, response: httpx.Response, what: str
    ) -> errors.UnexpectedAnswer:
        status = response.status_code
        return errors.UnexpectedAnswer(
            f"http_{status}", what, status=status, message_id=call.sending
        )

    # -- operations -------------------------------------------------------------------

    def send(
        self,
        document_id: str,
        text: str,
        *,
        sender_id: str,
        sender_name: str | None,
        id: str | None,
        reply_to: str | None,
        mentions: Sequence[str] | None,
        anchor: JSON | None,
    ) -> Call:
        """A backend's message for ``sender_id``, under ``id`` or a fresh uuid: every try of
        it carries the same id, so docchat stores it once however often it is sent."""
        message_id = id if id is not None else str(uuid.uuid4())
        body: dict[str, Any] = {"text": text, "senderId": sender_id, "id": message_id}
        optional = {"senderName": sender_name, "replyTo": reply_to, "anchor": anchor}
        body.update({key: value for key, value in optional.items() if value is not None})
        if mentions is not None:
            body["mentions"] = list(mentions)
        path = f"service/documents/{_segment(document_id)}/messages"
        return Call("POST", path, "service", body=body, sending=message_id)

    def history(self, document_id: str, limit: int | None) -> Paging[Message]:
        path = f"documents/{_segment(document_id)}/messages"
        return Paging(Call("GET", path, "user", _page_params(limit)), Message.from_json)

    def catch_up(self, document_id: str, after: str, limit: int | None) -> Paging[Message]:
        path = f"documents/{_segment(document_id)}/messages"
        page = CATCH_UP_PAGE_SIZE if limit is None else limit
        call = Call("GET", path, "user", _page_params(page, after=after))
        return Paging(call, Message.from_json, next_param="after")

    def thread(self, document_id: str, root_id: str, limit: int | None) -> Paging[Message]:
        path = f"documents/{_segment(document_id)}/threads/{_segment(root_id)}"
        return Paging(Call("GET", path, "user", _page_params(limit)), Message.from_json)

    def threads(
        self, document_id: str, resolved: bool | None, anchored: bool | None, limit: int | None
    ) -> Paging[Message]:
        params = _page_params(limit, resolved=_flag(resolved), anchored=_flag(anchored))
        path = f"documents/{_segment(document_id)}/threads"
        return Paging(Call("GET", path, "user", params), Message.from_json)

    def notifications(self, unread: bool, limit: int | None) -> Paging[Notification]:
        params = _page_params(limit, unread=_flag(unread) if unread else None)
        return Paging(Call("GET", "me/notifications", "user", params), Notification.from_json)

    def put_member(self, document_id: str, user_id: str, role: Role) -> Call:
        path = f"service/documents/{_segment(document_id)}/members/{_segment(user_id)}"
        return Call("PUT", path, "service", body={"role": role})

    def remove_member(self, document_id: str, user_id: str) -> Call:
        path = f"service/documents/{_segment(document_id)}/members/{_segment(user_id)}"
        return Call("DELETE", path, "service")

    def members(self, document_id: str, limit: int | None) -> Paging[Member]:
        path = f"service/documents/{_segment(document_id)}/members"
        call = Call("GET", path, "service", _page_params(limit))
        return Paging(call, Member.from_json, items_key="members")

    def put_webhook(self, name: str, url: str, events: Sequence[str]) -> Call:
        body = {"url": url, "events": list(events)}
        return Call("PUT", f"service/webhooks/{_segment(name)}", "service", body=body)

    def list_webhooks(self) -> Call:
        return Call("GET", "service/webhooks", "service")

    def delete_webhook(self, name: str) -> Call:
        return Call("DELETE", f"service/webhooks/{_segment(name)}", "service")

    def webhook_failures(self, name: str, limit: int | None) -> Paging[WebhookFailure]:
        path = f"service/webhooks/{_segment(name)}/failures"
        call = Call("GET", path, "service", _page_params(limit))
        return Paging(call, WebhookFailure.from_json)

    @staticmethod
    def webhook_list(body: JSON) -> list[Webhook]:
        return [Webhook.from_json(item) for item in body["items"]]


def _error_detail(response: httpx.Response) -> dict[str, Any]:
    """docchat's ``{"error": {...}}``, or nothing for a body that is not one (a front end's
    or host's own answer)."""
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        return {}
    detail = body.get("error") if isinstance(body, dict) else None
    return detail if isinstance(detail, dict) else {}


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delay-seconds, or an HTTP date (RFC 9110, 10.2.3)."""
    if value is None:
        return None
    try:
        return max(0.0, float(int(value.strip())))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
