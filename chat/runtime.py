"""Where docchat's parts are built: once per process, and only when first needed.

The function edge makes one :class:`Runtime` at start-up. Its collaborators (the access
policy, the message store, the members) can be passed in, which tests do; the production
ones are built on first use and then reused by every invocation, and each is imported only
then: negotiate never loads azure.cosmos, and a cold start pays only for what the first
function needs. The real-time backend is not here: it reaches the use cases through
:mod:`chat.realtime`, per invocation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chat.access import AllowAll, DocumentAccess, Memberships, MembersOnly
from chat.events import TYPING_PER_MINUTE
from chat.identity import AppServicePrincipal, Authenticator, PrincipalHeaders
from chat.presence import Announcer
from chat.ratelimit import PostingRate
from chat.settings import AccessMode, AuthMode, Settings
from shared.once import Once

if TYPE_CHECKING:
    from chat.cosmos_container import CosmosContainer
    from chat.editing import EditingService
    from chat.events import EventService
    from chat.presence import Connections
    from chat.reading import ReadingService, ReadMarkers
    from chat.realtime import Realtime
    from chat.service import HistoryService, MemberAdmin, MembershipService, PostingService
    from chat.store import MessageStore

__all__ = ["Runtime"]


class Runtime:
    """The settings plus the long-lived clients and policies built from them."""

    def __init__(
        self,
        settings: Settings,
        *,
        access: DocumentAccess | None = None,
        store: MessageStore | None = None,
        memberships: Memberships | None = None,
        connections: Connections | None = None,
        read_markers: ReadMarkers | None = None,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.settings = settings
        self._rate = PostingRate(settings.posts_per_minute, settings.post_burst)
        self._container = Once(self._build_container)
        self._store = Once(lambda: store or self._build_store())
        self._memberships = Once(lambda: memberships or self._build_memberships())
        self._connections = Once(lambda: connections or self._build_connections())
        self._read_markers = Once(lambda: read_markers or self._build_read_markers())
        self._typing_rate = PostingRate(TYPING_PER_MINUTE, burst=1)
        self._announcer = Announcer()
        self._access = Once(lambda: access or self._build_access())
        self._authenticator = Once(lambda: authenticator or self._build_authenticator())

    @property
    def authenticator(self) -> Authenticator:
        """Who is calling, by the configured ``DOCCHAT_AUTH``."""
        return self._authenticator.get()

    @property
    def access(self) -> DocumentAccess:
        """Who may do what: the policy given, else ``DOCCHAT_ACCESS``'s."""
        return self._access.get()

    @property
    def store(self) -> MessageStore:
        """The message store: Cosmos DB's, its container created if missing."""
        return self._store.get()

    @property
    def memberships(self) -> Memberships:
        """Document members: in Cosmos DB, in the messages' container."""
        return self._memberships.get()

    @property
    def connections(self) -> Connections:
        """Connection owners and presence: in Cosmos DB, in the messages' container."""
        return self._connections.get()

    def membership(self, realtime: Realtime) -> MembershipService:
        """Join, leave and presence, through ``realtime``."""
        from chat.service import MembershipService

        return MembershipService(self.access, realtime, self.connections, self._announcer)

    def editing(self, realtime: Realtime) -> EditingService:
        """Edit, delete and react to messages, telling the document through ``realtime``."""
        from chat.editing import EditingService

        return EditingService(
            access=self.access, store=self.store, realtime=realtime, rate=self._rate
        )

    def reading(self) -> ReadingService:
        """Read markers and unread counts."""
        from chat.reading import ReadingService

        return ReadingService(self.access, self.store, self._read_markers.get())

    def events(self, realtime: Realtime) -> EventService:
        """What the realtime service reports, answered through ``realtime``."""
        from chat.events import EventService

        return EventService(self.connections, realtime, self._typing_rate, self._announcer)

    def posting(self, realtime: Realtime) -> PostingService:
        """Post messages, delivering them through ``realtime``."""
        from chat.service import PostingService

        return PostingService(
            access=self.access, store=self.store, realtime=realtime, rate=self._rate
        )

    def member_admin(self) -> MemberAdmin:
        """Manage document members."""
        from chat.service import MemberAdmin

        access = self.access
        members_only = access if isinstance(access, MembersOnly) else None
        return MemberAdmin(self.memberships, members_only, self.connections, self._announcer)

    def history(self) -> HistoryService:
        """Read stored messages."""
        from chat.service import HistoryService

        return HistoryService(self.access, self.store)

    def _build_authenticator(self) -> Authenticator:
        if self.settings.auth is AuthMode.JWT:
            from chat.jwt_identity import BearerTokens

            if self.settings.jwt is None:
                raise RuntimeError(
                    "DOCCHAT_AUTH=jwt without JWT settings: load_settings reads them"
                )
            return BearerTokens(self.settings.jwt)
        if self.settings.auth is AuthMode.APPSERVICE:
            return AppServicePrincipal()
        return PrincipalHeaders()

    def _build_access(self) -> DocumentAccess:
        if self.settings.access is AccessMode.MEMBERS:
            return MembersOnly(self.memberships)
        return AllowAll()

    def _build_container(self) -> CosmosContainer:
        from chat.cosmos_container import open_container

        return open_container(self.settings)

    def _build_store(self) -> MessageStore:
        from chat.cosmos_store import CosmosMessageStore

        return CosmosMessageStore(
            self._container.get(), message_ttl_seconds=self.settings.message_ttl_seconds
        )

    def _build_memberships(self) -> Memberships:
        from chat.cosmos_members import CosmosMemberships

        return CosmosMemberships(self._container.get())

    def _build_read_markers(self) -> ReadMarkers:
        from chat.cosmos_reading import CosmosReadMarkers

        return CosmosReadMarkers(self._container.get())

    def _build_connections(self) -> Connections:
        from chat.cosmos_presence import CosmosConnections

        return CosmosConnections(self._container.get())
