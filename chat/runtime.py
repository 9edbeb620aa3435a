"""Where docchat's parts are built: once per process, and only when first needed.

function_app.py makes one :class:`Runtime` at import. Clients (Cosmos DB, SignalR REST,
JWKS) are built on first use and then reused by every invocation, and each is imported
only then: negotiate never loads azure.cosmos, and a cold start pays only for what the
first function needs. Pass ``access`` to apply your own document rules in code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from chat.access import AllowAll, DocumentAccess, Memberships, MembersOnly
from chat.identity import AppServicePrincipal, Authenticator, PrincipalHeaders
from chat.ratelimit import PostingRate
from chat.settings import HUB, AccessMode, AuthMode, Settings

if TYPE_CHECKING:
    from chat.breaker import Breaker
    from chat.cosmos_container import CosmosContainer
    from chat.jwt_identity import BearerTokens
    from chat.realtime import Emit, Realtime
    from chat.service import HistoryService, MemberAdmin, MembershipService, PostingService
    from chat.store import MessageStore
    from signalr.connection_string import ConnectionString
    from signalr.rest import HubClient

__all__ = ["Runtime"]

_Built = TypeVar("_Built")
#: Connect and read timeouts (seconds) of a SignalR REST call: the service answers in
#: milliseconds, and a caller is better served by a prompt 503 than a long wait.
SIGNALR_TIMEOUTS = (0.5, 1.0)


class _Once(Generic[_Built]):
    """Builds a value on first :meth:`get`, exactly once even when threads race for it."""

    def __init__(self, build: Callable[[], _Built]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: _Built | None = None

    def get(self) -> _Built:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


class Runtime:
    """The settings plus the long-lived clients and policies built from them."""

    def __init__(self, settings: Settings, access: DocumentAccess | None = None) -> None:
        self.settings = settings
        self._access_in_code = access
        self._access = _Once(self._build_access)
        self._rate = PostingRate(settings.posts_per_minute, settings.post_burst)
        self._app_tokens = _Once(self._build_app_tokens)
        self._authenticator = _Once(self._build_authenticator)
        self._negotiate_authenticator = _Once(self._build_negotiate_authenticator)
        self._hub = _Once(self._build_hub_client)
        self._container = _Once(self._build_container)
        self._store = _Once(self._build_store)
        self._memberships = _Once(self._build_memberships)
        self._realtime_breaker = _Once(self._build_realtime_breaker)

    @property
    def authenticator(self) -> Authenticator:
        """Who is calling, by the configured ``DOCCHAT_AUTH``."""
        return self._authenticator.get()

    @property
    def negotiate_authenticator(self) -> Authenticator:
        """As :attr:`authenticator`, but in jwt mode also our own SignalR client tokens."""
        return self._negotiate_authenticator.get()

    @property
    def signalr(self) -> ConnectionString:
        """The SignalR connection string; only REST mode has (and needs) one."""
        if self.settings.signalr is None:
            raise RuntimeError("DOCCHAT_SIGNALR_MODE=bindings: the host talks to SignalR")
        return self.settings.signalr

    @property
    def access(self) -> DocumentAccess:
        """Who may do what: the policy given in code, else ``DOCCHAT_ACCESS``'s."""
        return self._access.get()

    @property
    def store(self) -> MessageStore:
        """The Cosmos DB message store, its container created if missing."""
        return self._store.get()

    @property
    def memberships(self) -> Memberships:
        """Document members in Cosmos DB, in the messages' container."""
        return self._memberships.get()

    def realtime(self, emit: Emit | None) -> Realtime:
        """Write to the function's ``signalR`` output binding via ``emit``, or else use REST."""
        from chat.realtime import BindingOutput, RestRealtime

        if emit is not None:
            return BindingOutput(emit)
        return RestRealtime(self._hub.get(), self._realtime_breaker.get())

    def membership(self, emit: Emit | None) -> MembershipService:
        """Join and leave, delivering group changes as :meth:`realtime` says."""
        from chat.service import MembershipService

        return MembershipService(self.access, self.realtime(emit))

    def posting(self, emit: Emit | None) -> PostingService:
        """Post messages, delivering them as :meth:`realtime` says."""
        from chat.service import PostingService

        return PostingService(
            access=self.access, store=self.store, realtime=self.realtime(emit), rate=self._rate
        )

    def member_admin(self, emit: Emit | None) -> MemberAdmin:
        """Manage document members, telling the realtime service as :meth:`realtime` says."""
        from chat.service import MemberAdmin

        access = self.access
        members_only = access if isinstance(access, MembersOnly) else None
        return MemberAdmin(self.memberships, self.realtime(emit), members_only)

    def history(self) -> HistoryService:
        """Read stored messages."""
        from chat.service import HistoryService

        return HistoryService(self.access, self.store)

    def _build_app_tokens(self) -> BearerTokens:
        from chat.jwt_identity import BearerTokens

        if self.settings.jwt is None:
            raise RuntimeError("DOCCHAT_AUTH is not jwt: there are no JWT settings")
        return BearerTokens(self.settings.jwt)

    def _build_authenticator(self) -> Authenticator:
        if self.settings.auth is AuthMode.JWT:
            return self._app_tokens.get()
        if self.settings.auth is AuthMode.APPSERVICE:
            return AppServicePrincipal()
        return PrincipalHeaders()

    def _build_negotiate_authenticator(self) -> Authenticator:
        if self.settings.auth is not AuthMode.JWT:
            return self.authenticator
        from chat.jwt_identity import BearerTokensOrSignalRToken

        return BearerTokensOrSignalRToken(self._app_tokens.get(), self.signalr)

    def _build_hub_client(self) -> HubClient:
        from signalr.rest import HubClient, RetryPolicy

        # Each call ends within the request's ~1.5 s budget; which failures are retried is
        # the SDK's rule per operation (see RetryPolicy): never a send that may have landed.
        retry = RetryPolicy.default(attempts=2, backoff=0.1, max_wait=1.0, budget=1.5)
        return HubClient(self.signalr, HUB, timeout=SIGNALR_TIMEOUTS, retry=retry)

    def _build_realtime_breaker(self) -> Breaker:
        from chat.breaker import Breaker
        from chat.realtime import realtime_outage

        return Breaker(realtime_outage)

    def _build_access(self) -> DocumentAccess:
        if self._access_in_code is not None:
            return self._access_in_code
        if self.settings.access is AccessMode.MEMBERS:
            return MembersOnly(self.memberships)
        return AllowAll()

    def _build_container(self) -> CosmosContainer:
        from chat.cosmos_container import open_container

        return open_container(self.settings)

    def _build_store(self) -> MessageStore:
        from chat.cosmos_store import CosmosMessageStore

        return CosmosMessageStore(self._container.get())

    def _build_memberships(self) -> Memberships:
        from chat.cosmos_members import CosmosMemberships

        return CosmosMemberships(self._container.get())
