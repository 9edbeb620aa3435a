"""Azure Web PubSub through its official service SDK (``azure-messaging-webpubsubservice``).

``DOCCHAT_WEBPUBSUB_MODE=rest``: docchat calls the data-plane API at once and hears every
failure. The SDK signs client access tokens with the AccessKey, or, keyless, asks the
service for them with the app's Microsoft Entra identity. Every event a client
receives is one JSON message ``{"event": <name>, "data": <payload>}``, the names and
payloads the same as on SignalR. The SDK is imported on first use.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chat.app.events import InboundEvent
from chat.app.realtime import Negotiator, Realtime, realtime_outage
from chat.domain.errors import ConnectionNotFound, Misconfigured, RealtimeUnavailable
from chat.domain.users import User
from chat.settings import LOOPBACK_HOSTS
from realtime.backend import BindingDeclaration
from realtime.liveness import Liveness
from realtime.webpubsub_events import inbound_event, outbound_message, webpubsub_triggers
from realtime.webpubsub_settings import WebPubSubSettings
from shared.breaker import Breaker
from shared.connection_string import ConnectionString
from shared.once import Once

if TYPE_CHECKING:
    from azure.core.credentials import AzureKeyCredential, TokenCredential
    from azure.core.exceptions import HttpResponseError
    from azure.messaging.webpubsubservice import WebPubSubServiceClient

__all__ = ["WebPubSubRest", "refuse_path_steps"]

#: Connect and read timeouts (seconds) of a REST call, and the SDK's own retries, inside the
#: request's ~1.5 s budget: a refused connection is retried at once, nothing else.
TIMEOUTS = {"connection_timeout": 0.5, "read_timeout": 1.0}
CLIENT_OPTIONS: dict[str, Any] = {
    "retry_total": 1,
    "retry_backoff_factor": 0.1,
    "retry_on_status_codes": [],
}
#: Client access tokens last an hour (the SDK's default), or less when the sign-in ends sooner.
TOKEN_MINUTES = 60
#: What a Microsoft Entra token for Web PubSub's REST API is for (the SDK's own scope).
ENTRA_SCOPE = "https://webpubsub.azure.com/.default"
_JSON = "application/json"
_log = logging.getLogger(__name__)


class WebPubSubRest:
    """The backend for REST mode: no bindings; one SDK client and breaker per process."""

    output: BindingDeclaration | None = None
    connection_input: BindingDeclaration | None = None

    def __init__(self, settings: WebPubSubSettings) -> None:
        self._settings = settings
        self.event_triggers: Mapping[str, BindingDeclaration] = webpubsub_triggers(settings.hub)
        self._client = Once(self._build_client)
        self._breaker = Breaker(realtime_outage, name="webpubsub")
        self._outages = Outages(self._breaker)
        self._liveness = Liveness()

    def realtime(self, output: object = None) -> Realtime:
        """The SDK client, shared by every invocation."""
        return WebPubSubCalls(self._client.get(), self._outages, self._liveness)

    def negotiator(self, connection_input: object = None) -> Negotiator:
        """Client access URLs the SDK signs with the key, or, keyless, asks the service for
        (``:generateToken``, a call behind the breaker). Signing calls nothing, so no breaker
        refuses it: after an outage every client negotiates again at once, and an open
        breaker would turn them away for a second after the service was back."""
        connection = self._settings.connection
        signs = connection is not None and connection.access_key is not None
        return ClientAccessUrls(self._client.get(), None if signs else self._outages)

    def inbound(self, trigger_value: str) -> InboundEvent:
        """The service's report, as the Web PubSub extension passes it on."""
        return inbound_event(trigger_value)

    def reported(self) -> None:
        """The service is up: close the breaker."""
        self._breaker.closed()

    def _build_client(self) -> WebPubSubServiceClient:
        """One client for every invocation (it keeps no per-request state), over a session
        with a connection for each of them (:mod:`shared.pooled_http`)."""
        from azure.messaging.webpubsubservice import WebPubSubServiceClient

        from shared.pooled_http import pooled_transport

        connection = self._settings.connection
        assert connection is not None  # load_webpubsub_settings requires it in REST mode
        credential = _credential(connection)
        return WebPubSubServiceClient(
            endpoint=connection.server_url,
            hub=self._settings.hub,
            credential=credential,
            transport=pooled_transport(**TIMEOUTS),
            **CLIENT_OPTIONS,
            **_loopback_bearer(connection.server_url, credential),
            raw_request_hook=refuse_path_steps,
        )


class ClientAccessUrls:
    """``{"url"}``: the client access URL with its token, as ``getClientAccessUrl`` wants;
    ``outages`` reports the service's failures when making one calls it (None: it does not)."""

    def __init__(self, client: WebPubSubServiceClient, outages: Outages | None) -> None:
        self._client = client
        self._outages = outages

    def connection_for(self, user: User) -> dict[str, Any]:
        minutes = TOKEN_MINUTES
        if user.signed_in_until is not None:
            left = user.signed_in_until - time.time()
            minutes = max(1, min(TOKEN_MINUTES, math.floor(left / 60)))
        with self._outages.reported() if self._outages else nullcontext():
            token = self._client.get_client_access_token(user_id=user.id, minutes_to_expire=minutes)
        return {"url": str(token["url"])}

    def renewed_user(self, headers: Mapping[str, str]) -> User | None:
        return None  # the client reconnects with its reconnection token, never through negotiate


class WebPubSubCalls:
    """:class:`~chat.app.realtime.Realtime` through the service SDK."""

    def __init__(
        self, client: WebPubSubServiceClient, outages: Outages, liveness: Liveness
    ) -> None:
        self._client = client
        self._outages = outages
        self._liveness = liveness

    def add_to_group(self, group: str, connection_id: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            with self._outages.reported():
                self._client.add_connection_to_group(group, connection_id)
        except ResourceNotFoundError:
            raise ConnectionNotFound(
                "that connection is not connected: negotiate and connect first"
            ) from None

    def remove_from_group(self, group: str, connection_id: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with suppress(ResourceNotFoundError), self._outages.reported():
            self._client.remove_connection_from_group(group, connection_id)

    def send_to_group(
        self, group: str, event: str, payload: Any, excluded: Sequence[str] = ()
    ) -> None:
        # The object, not its text: with application/json the SDK serializes the body itself,
        # so a str or bytes would reach clients as a JSON string or base64.
        message = outbound_message(event, payload)
        with self._outages.reported():
            self._client.send_to_group(
                group, message, content_type=_JSON, excluded=list(excluded) or None
            )

    def send_to_user(self, user_id: str, event: str, payload: Any) -> None:
        message = outbound_message(event, payload)  # the object, as in send_to_group
        with self._outages.reported():
            self._client.send_to_user(user_id, message, content_type=_JSON)

    def stop_user_hearing(self, group: str, user_id: str, connection_ids: Sequence[str]) -> None:
        """Close the user's connections (one call), as on SignalR: clients reconnect at
        once, and re-join only what they may still see."""
        with self._outages.reported():
            self._client.close_user_connections(user_id, reason=f"access to {group} changed")

    def is_connected(self, connection_id: str) -> bool | None:
        known = self._liveness.get(connection_id)
        if known is not None:
            return known
        try:
            with self._outages.reported():
                connected = self._client.connection_exists(connection_id)
        except RealtimeUnavailable:
            return None
        self._liveness.put(connection_id, connected)
        return connected


class Outages:
    """The SDK's failures as chat's errors, behind one breaker per process."""

    def __init__(self, breaker: Breaker) -> None:
        self._breaker = breaker

    @contextmanager
    def reported(self) -> Iterator[None]:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        self._breaker.check()
        try:
            yield
        except (ServiceRequestError, ServiceResponseError) as error:
            _log.warning("Web PubSub unreachable: %s", type(error).__name__)
            self._breaker.opened()
            raise realtime_outage() from None
        except ClientAuthenticationError as error:
            if error.response is None:  # the credential, not the service, failed
                raise _misconfigured("no Microsoft Entra token for Web PubSub") from None
            raise self._translated(error) from None
        except HttpResponseError as error:
            raise self._translated(error) from None
        self._breaker.closed()

    def _translated(self, error: HttpResponseError) -> Exception:
        status = int(error.status_code or 0)
        if status in (401, 403):
            return _misconfigured(f"Web PubSub answered {status}")
        if status == 429 or status >= 500 or status == 0:
            _log.warning("Web PubSub failed: %s", status)
            self._breaker.opened()
            return RealtimeUnavailable("the realtime service failed; try again shortly")
        return error


def _misconfigured(what: str) -> Misconfigured:
    _log.error(
        "%s: check the AccessKey in WebPubSubConnectionString, or the identity"
        " (WebPubSubConnectionString__clientId) and its Web PubSub role",
        what,
    )
    return Misconfigured(what)


def refuse_path_steps(request: Any) -> None:
    """Stop a request whose path holds a ``.`` or ``..`` segment before it is sent.

    The SDK escapes ids with ``quote(id, safe="")``, which leaves dots alone, and urllib3
    resolves path steps: closing the connections of user ``..`` would have closed every
    connection in the hub (``users/../:closeConnections``). docchat's id rule refuses such
    ids at the edge; this makes sure none slips through another way, as signalr/ does."""
    path = urlsplit(request.http_request.url).path
    if any(segment in (".", "..") for segment in path.split("/")):
        raise ValueError("a Web PubSub id must not be . or ..: it would name another resource")


def _credential(connection: ConnectionString) -> AzureKeyCredential | TokenCredential:
    """The AccessKey, with which the SDK signs client tokens itself; or the identity, with
    which it asks the service's :generateToken for them."""
    if connection.access_key is not None:
        from azure.core.credentials import AzureKeyCredential

        return AzureKeyCredential(connection.access_key)
    from shared.entra import credential_for

    return credential_for(connection)


def _loopback_bearer(
    endpoint: str, credential: AzureKeyCredential | TokenCredential
) -> dict[str, Any]:
    """azure-core sends bearer tokens over https only; a local emulator speaks plain http
    on this machine, so there (and only there) the check is lifted."""
    from azure.core.credentials import AzureKeyCredential

    if isinstance(credential, AzureKeyCredential):
        return {}  # the key signs the requests; no bearer token goes anywhere
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        return {}
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy

    class LoopbackBearer(BearerTokenCredentialPolicy[Any, Any]):
        def on_request(self, request: Any) -> None:
            request.context["enforce_https"] = False
            super().on_request(request)

    return {"authentication_policy": LoopbackBearer(credential, ENTRA_SCOPE)}
