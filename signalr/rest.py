"""A client for the Azure SignalR Service data-plane REST API (version 2022-06-01).

One :class:`HubClient` talks to one hub. It keeps a pooled HTTP session and signs a fresh
short-lived token per call, or, for a connection without an AccessKey, presents a Microsoft
Entra token (:mod:`shared.entra`); the service then makes client tokens too. By default it does
not retry, as neither the Management SDK without ``RetryOptions`` nor the Functions extension
does; a :class:`RetryPolicy` turns retries on, each operation by its own rule, within a time
budget.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError

from shared import signals
from shared.connection_string import ConnectionString
from shared.settled_session import Session
from signalr.errors import (
    NotFoundError,
    PayloadTooLargeError,
    RetriesExhaustedError,
    ServiceError,
    ServiceUnavailableError,
)
from signalr.tokens import (
    API_VERSION,
    DEFAULT_CLIENT_TOKEN_LIFETIME,
    ConnectionInfo,
    TokenError,
    client_url,
    server_token,
    validate_hub_name,
)

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from shared.entra import EntraTokens

__all__ = ["API_VERSION", "MAX_BODY_BYTES", "HubClient", "RetryPolicy"]

#: The service refuses larger request bodies; we refuse them before sending.
MAX_BODY_BYTES = 1024 * 1024
#: ``:generateToken`` came with this version of the API (its 2024-12-01 reference).
GENERATE_TOKEN_API_VERSION = "2024-12-01"  # noqa: S105 - a version, not a secret
#: Answers that mean the service could not do the work now (rather than refusing it).
_UNAVAILABLE_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures a call retries, how often, how long it waits, and its time budget.

    The rules are the Management SDK's (azure-signalr Management/DependencyInjectionExtensions.cs
    and Resilient/RetryHttpMessageHandler.cs), per kind of operation:

    - a message send is retried only on a status above 500: the service answers 500 for a
      send that timed out inside it, which may have been delivered, so retrying it would
      risk a duplicate; a read timeout or a dropped connection is not retried for the same
      reason;
    - every other operation (group membership, existence checks, closing) is idempotent, so
      it is also retried on 500, 408, a read timeout and a dropped connection.

    Either kind is retried when the connection could not even be opened: nothing was sent.
    429 is never retried (the SDK does not either): within a request's budget a throttled
    service does not recover, and the caller can say "try again later" sooner.
    """

    attempts: int
    backoff: float
    max_wait: float
    budget: float | None

    @classmethod
    def default(
        cls,
        attempts: int = 3,
        backoff: float = 0.2,
        max_wait: float = 10.0,
        budget: float | None = None,
    ) -> RetryPolicy:
        """``attempts`` retries after the first try, waits growing from ``backoff`` seconds.

        A ``Retry-After`` answer is waited for instead, up to ``max_wait`` seconds; no wait is
        longer than ``max_wait``. With a ``budget`` (seconds) a call, retries and waits
        included, ends within it: no retry starts that could not finish in time, and each
        try's timeouts are cut to what is left.
        """
        if attempts < 0 or backoff < 0 or max_wait < 0 or (budget is not None and budget <= 0):
            raise ValueError("retry attempts, waits and budget cannot be negative")
        return cls(attempts=attempts, backoff=backoff, max_wait=max_wait, budget=budget)

    def retries_status(self, status: int, *, message: bool) -> bool:
        """Whether an answer with ``status`` is worth another try."""
        if message:
            return status > 500
        return status >= 500 or status == 408

    def retries_error(self, error: requests.RequestException, *, message: bool) -> bool:
        """Whether a call that failed with ``error`` (no answer) is worth another try."""
        return _never_sent(error) or not message

    def wait(self, failures: int, retry_after: str | None = None) -> float:
        """Seconds to wait after ``failures`` failed tries: ``backoff`` doubling, plus up to
        ``backoff`` of jitter, or what ``Retry-After`` asks; never more than ``max_wait``."""
        if retry_after is not None and retry_after.strip().isdigit():
            return float(min(int(retry_after), self.max_wait))
        wait = self.backoff * 2 ** (failures - 1)
        wait += random.random() * self.backoff  # noqa: S311 - jitter, not a secret
        return float(min(self.max_wait, wait))


#: The HubClient default: no retries, as the SDK without RetryOptions and the extension.
NO_RETRY = RetryPolicy.default(attempts=0)


class HubClient:
    """Send messages and manage connections, users and groups of one hub.

    A ``credential`` makes every call present its Microsoft Entra token; without one, a
    connection without an AccessKey gets the credential it names
    (:func:`shared.entra.credential_for`).
    """

    def __init__(
        self,
        connection: ConnectionString,
        hub: str,
        *,
        timeout: float | tuple[float, float] = (3.05, 10.0),
        retry: RetryPolicy = NO_RETRY,
        credential: TokenCredential | None = None,
        pool_size: int = 16,
    ) -> None:
        self.connection = connection
        self.hub = validate_hub_name(hub)
        self._timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self._retry = retry
        self._entra = _entra_tokens(connection, credential)
        # Lower-cased as the SDK sends it (RestApiProvider.cs): hub names ignore case.
        self._base = f"{connection.server_url}/api/hubs/{quote(self.hub.lower(), safe='')}"
        self._session = Session()
        # No retries inside urllib3: _request retries, by the operation's own rule.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Sending -------------------------------------------------------------------------------

    def send_to_all(
        self, target: str, arguments: Sequence[Any], *, excluded: Iterable[str] = ()
    ) -> None:
        """Invoke ``target`` on every client of the hub but the ``excluded`` connections."""
        self._send(":send", target, arguments, {"excluded": list(excluded)})

    def send_to_group(
        self, group: str, target: str, arguments: Sequence[Any], *, excluded: Iterable[str] = ()
    ) -> None:
        """Invoke ``target`` on every connection in ``group`` but the ``excluded`` ones."""
        self._send(
            f"groups/{_segment(group)}/:send", target, arguments, {"excluded": list(excluded)}
        )

    def send_to_user(self, user_id: str, target: str, arguments: Sequence[Any]) -> None:
        """Invoke ``target`` on every connection of ``user_id``."""
        self._send(f"users/{_segment(user_id)}/:send", target, arguments)

    def send_to_connection(self, connection_id: str, target: str, arguments: Sequence[Any]) -> None:
        """Invoke ``target`` on one connection."""
        self._send(f"connections/{_segment(connection_id)}/:send", target, arguments)

    # Group membership ------------------------------------------------------------------------

    def add_connection_to_group(self, group: str, connection_id: str) -> None:
        """Add a connection to ``group``; raises :class:`NotFoundError` for an unknown one."""
        self._call("PUT", _connection_in_group(group, connection_id))

    def remove_connection_from_group(self, group: str, connection_id: str) -> None:
        """Remove a connection from ``group``."""
        self._call("DELETE", _connection_in_group(group, connection_id))

    def remove_connection_from_all_groups(self, connection_id: str) -> None:
        """Remove a connection from every group it is in."""
        self._call("DELETE", f"connections/{_segment(connection_id)}/groups")

    def add_user_to_group(self, group: str, user_id: str, *, ttl: int | None = None) -> None:
        """Add every connection of ``user_id``, now and later, to ``group``.

        Without ``ttl`` (seconds) the service keeps the membership for at most a year and
        only the user's latest 100 such groups.
        """
        if ttl is not None and ttl < 0:
            raise ValueError("ttl is a number of seconds and cannot be negative")
        query = {} if ttl is None else {"ttl": str(ttl)}
        self._call("PUT", _user_in_group(group, user_id), query)

    def remove_user_from_group(self, group: str, user_id: str) -> None:
        """Remove ``user_id`` from ``group``."""
        self._call("DELETE", _user_in_group(group, user_id))

    def remove_user_from_all_groups(self, user_id: str) -> None:
        """Remove ``user_id`` from every group."""
        self._call("DELETE", f"users/{_segment(user_id)}/groups")

    # Existence -------------------------------------------------------------------------------

    def connection_exists(self, connection_id: str) -> bool:
        """Whether the connection is connected now."""
        return self._exists(f"connections/{_segment(connection_id)}")

    def group_exists(self, group: str) -> bool:
        """Whether ``group`` has at least one connection."""
        return self._exists(f"groups/{_segment(group)}")

    def user_exists(self, user_id: str) -> bool:
        """Whether ``user_id`` has at least one connection."""
        return self._exists(f"users/{_segment(user_id)}")

    def user_in_group(self, group: str, user_id: str) -> bool:
        """Whether ``user_id`` is a member of ``group``."""
        return self._exists(_user_in_group(group, user_id))

    # Closing connections -----------------------------------------------------------------------

    def close_connection(self, connection_id: str, *, reason: str | None = None) -> None:
        """Close one connection, telling the client ``reason``."""
        self._call("DELETE", f"connections/{_segment(connection_id)}", _reason(reason))

    def close_all_connections(
        self, *, excluded: Iterable[str] = (), reason: str | None = None
    ) -> None:
        """Close every connection of the hub but the ``excluded`` ones."""
        self._close(":closeConnections", excluded, reason)

    def close_group_connections(
        self, group: str, *, excluded: Iterable[str] = (), reason: str | None = None
    ) -> None:
        """Close every connection in ``group`` but the ``excluded`` ones."""
        self._close(f"groups/{_segment(group)}/:closeConnections", excluded, reason)

    def close_user_connections(
        self, user_id: str, *, excluded: Iterable[str] = (), reason: str | None = None
    ) -> None:
        """Close every connection of ``user_id`` but the ``excluded`` ones."""
        self._close(f"users/{_segment(user_id)}/:closeConnections", excluded, reason)

    # Client tokens -----------------------------------------------------------------------------

    def client_connection_info(
        self, *, user_id: str | None = None, lifetime: timedelta = DEFAULT_CLIENT_TOKEN_LIFETIME
    ) -> ConnectionInfo:
        """What a client needs to connect to the hub, with a token the service makes
        (``POST :generateToken``): no AccessKey needed. The service counts whole minutes, so
        the token lives ``lifetime`` rounded down, and at least a minute."""
        minutes = int(lifetime.total_seconds() // 60)
        if minutes < 1:
            raise TokenError("the service issues client tokens for one minute or more")
        query: dict[str, Any] = {"minutesToExpire": str(minutes)}
        if user_id is not None:
            if not user_id:
                raise TokenError("user id must not be empty")
            query["userId"] = user_id
        response = self._call(
            "POST", ":generateToken", query, api_version=GENERATE_TOKEN_API_VERSION
        )
        token = _json_field(response, "token")
        return ConnectionInfo(url=client_url(self.connection, self.hub), access_token=token)

    # Service -----------------------------------------------------------------------------------

    def is_healthy(self) -> bool:
        """Whether the service answers its health check."""
        url = f"{self.connection.server_url}/api/health"
        try:
            return self._request("HEAD", url, {}, None, message=False).status_code == 200
        except ServiceUnavailableError:
            return False

    # Plumbing ----------------------------------------------------------------------------------

    def _send(
        self,
        path: str,
        target: str,
        arguments: Sequence[Any],
        query: dict[str, Any] | None = None,
    ) -> None:
        if not target:
            raise ValueError("a message needs a target")
        body = json.dumps(
            {"target": target, "arguments": list(arguments)},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(
                f"message body is {len(body)} bytes, the service accepts at most {MAX_BODY_BYTES}"
            )
        self._call("POST", path, query, body, message=True)

    def _close(self, path: str, excluded: Iterable[str], reason: str | None) -> None:
        self._call("POST", path, {"excluded": list(excluded), **_reason(reason)})

    def _exists(self, path: str) -> bool:
        try:
            self._call("HEAD", path)
        except NotFoundError:
            return False
        return True

    def _call(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: bytes | None = None,
        *,
        message: bool = False,
        api_version: str = API_VERSION,
    ) -> requests.Response:
        url = f"{self._base}/{path}"
        response = self._request(
            method, url, {**(query or {}), "api-version": api_version}, body, message=message
        )
        if response.status_code >= 400:
            raise _service_error(response)
        return response

    def _request(
        self, method: str, url: str, query: dict[str, Any], body: bytes | None, *, message: bool
    ) -> requests.Response:
        """Send, and send again while the policy says so and the budget allows."""
        policy = self._retry
        deadline = None if policy.budget is None else time.monotonic() + policy.budget
        failures = 0
        while True:
            timeout = _within(self._timeout, deadline)
            try:
                response = self._send_once(method, url, query, body, timeout)
            except requests.RequestException as error:
                failures += 1
                if not policy.retries_error(error, message=message) or not self._may_retry(
                    failures, policy.wait(failures), deadline
                ):
                    raise ServiceUnavailableError(
                        f"SignalR service unreachable for {method} {_path_of(url)}: "
                        f"{type(error).__name__}"
                    ) from error
                continue
            if not policy.retries_status(response.status_code, message=message):
                return response
            failures += 1
            if not self._may_retry(
                failures, policy.wait(failures, response.headers.get("Retry-After")), deadline
            ):
                return response

    def _may_retry(self, failures: int, wait: float, deadline: float | None) -> bool:
        """Wait and say yes, unless the retries are used up or the wait would end past the
        deadline (with no time left for the try itself)."""
        if failures > self._retry.attempts:
            return False
        if deadline is not None and time.monotonic() + wait >= deadline:
            return False
        time.sleep(wait)
        return True

    def _send_once(
        self,
        method: str,
        url: str,
        query: dict[str, Any],
        body: bytes | None,
        timeout: tuple[float, float],
    ) -> requests.Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        params = {k: v for k, v in query.items() if v}
        params.setdefault("api-version", API_VERSION)  # last, unless the caller named one
        auth = _Bearer(self._token_for(url))
        with signals.outgoing(method, _traced(url)) as call:
            headers.update(call.headers())
            response = self._session.request(
                method, url, params=params, data=body, headers=headers, auth=auth, timeout=timeout
            )
            call.answered(response.status_code)
            return response

    def _token_for(self, url: str) -> str:
        if self._entra is not None:
            return self._entra.bearer()
        return server_token(self.connection, url)


class _Bearer(AuthBase):
    """The call's bearer token. Given as ``auth`` rather than as a header, so that requests
    does not look for a ~/.netrc file to authenticate it with: a file system lookup on
    every call, a few per cent of a busy host's time."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def _entra_tokens(
    connection: ConnectionString, credential: TokenCredential | None
) -> EntraTokens | None:
    """Where a client's Entra tokens come from: ``credential``, else the one a connection
    without an AccessKey names; None when calls sign with the key."""
    if credential is None and not connection.uses_entra_id:
        return None
    from shared.entra import EntraTokens, credential_for

    return EntraTokens(credential or credential_for(connection))


def _within(timeout: tuple[float, float], deadline: float | None) -> tuple[float, float]:
    """``timeout`` cut to what is left before ``deadline``."""
    if deadline is None:
        return timeout
    left = max(deadline - time.monotonic(), 0.001)
    return (min(timeout[0], left), min(timeout[1], left))


def _never_sent(error: requests.RequestException) -> bool:
    """Whether ``error`` happened before the request left: no connection was opened."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, ConnectTimeoutError)  # refused and unresolvable hosts included


def _segment(value: str) -> str:
    """Percent-escape one path segment: group ``document:42`` travels as ``document%3A42``."""
    if not value:
        raise ValueError("a connection id, user id or group name must not be empty")
    if value in (".", ".."):
        # URL normalisation resolves these as path steps: a send to group ".." would
        # reach the whole hub.
        raise ValueError(f"{value!r} cannot be a connection id, user id or group name")
    return quote(value, safe="")


def _connection_in_group(group: str, connection_id: str) -> str:
    return f"groups/{_segment(group)}/connections/{_segment(connection_id)}"


def _user_in_group(group: str, user_id: str) -> str:
    return f"users/{_segment(user_id)}/groups/{_segment(group)}"


def _reason(reason: str | None) -> dict[str, str]:
    return {"reason": reason} if reason else {}


def _path_of(url: str) -> str:
    return url.split("?", 1)[0]


def _traced(url: str) -> str:
    """``url`` as telemetry may keep it: no query, and ``{userId}`` for a user's id."""
    return signals.without_user_ids(_path_of(url))


def _service_error(response: requests.Response) -> ServiceError:
    code = response.headers.get("x-ms-error-code")
    message = response.reason or "error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = _text(body.get("code")) or code
        message = _text(body.get("message")) or message
    return _error_kind(response.status_code)(response.status_code, code, message)


def _error_kind(status_code: int) -> type[ServiceError]:
    if status_code == 404:
        return NotFoundError
    if status_code in _UNAVAILABLE_STATUSES:
        return RetriesExhaustedError
    return ServiceError


def _json_field(response: requests.Response, name: str) -> str:
    """The non-empty string ``name`` of a JSON answer; a :class:`ServiceError` otherwise."""
    try:
        value = response.json().get(name)
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise ServiceError(response.status_code, None, f"the answer has no {name!r}")
    return value


def _text(value: object) -> str | None:
    return None if value is None else str(value)
