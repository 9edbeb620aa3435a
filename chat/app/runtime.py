"""Where docchat's use cases are built: once per process, and only when first needed.

The function edge makes one :class:`Runtime` at start-up from the settings and the
:class:`~chat.app.store.Storage` a storage adapter gives (:func:`storage.load_storage`); tests
give in-memory stores. The access policy and the authenticator can be passed in too. Each
part is built on first use and then reused by every invocation, and imported only then: a
cold start pays only for what the first function needs. The real-time backend is not here:
it reaches the use cases through :mod:`chat.app.realtime`, per invocation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from chat.app.access import AllowAll, DocumentAccess, Memberships, MembersOnly
from chat.app.events import TYPING_PER_MINUTE
from chat.app.identity import AppServicePrincipal, Authenticator, PrincipalHeaders
from chat.app.presence import Announcer
from chat.domain.ratelimit import PostingRate
from chat.settings import AccessMode, AuthMode, Settings
from shared.once import Once

if TYPE_CHECKING:
    from chat.app.editing import EditingService
    from chat.app.events import EventService
    from chat.app.notifications import NotificationService
    from chat.app.outbox import OutboxService
    from chat.app.people import PeopleService
    from chat.app.presence import Connections
    from chat.app.reading import ReadingService
    from chat.app.realtime import Realtime
    from chat.app.service import HistoryService, MemberAdmin, MembershipService, PostingService
    from chat.app.store import MessageStore, Storage
    from chat.app.webhooks import Network, WebhookService
    from chat.app.writing import MessageWriting
    from chat.domain.users import User

__all__ = ["Runtime"]


class Runtime:
    """The settings plus the long-lived clients and policies built from them."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        *,
        access: DocumentAccess | None = None,
        authenticator: Authenticator | None = None,
        webhook_network: Callable[[], Network] | None = None,
    ) -> None:
        self.settings = settings
        self._storage = storage
        self._rate = PostingRate(settings.posts_per_minute, settings.post_burst)
        self._typing_rate = PostingRate(TYPING_PER_MINUTE, burst=1)
        self._announcer = Announcer()
        self._access = Once(lambda: access or self._build_access())
        self._authenticator = Once(lambda: authenticator or self._build_authenticator())
        self._webhook_network = webhook_network
        self._webhooks = Once(self._build_webhooks)

    @property
    def authenticator(self) -> Authenticator:
        """Who is calling, by the configured ``DOCCHAT_AUTH``."""
        return self._authenticator.get()

    def authenticate(self, headers: Mapping[str, str]) -> User:
        """The caller of a request with ``headers``, by the authenticator (built on first
        use: bearer tokens import PyJWT only then)."""
        return self.authenticator.authenticate(headers)

    @property
    def access(self) -> DocumentAccess:
        """Who may do what: the policy given, else ``DOCCHAT_ACCESS``'s."""
        return self._access.get()

    @property
    def store(self) -> MessageStore:
        """The message store."""
        return self._storage.messages

    @property
    def memberships(self) -> Memberships:
        """Document members."""
        return self._storage.memberships

    @property
    def connections(self) -> Connections:
        """Connection owners and presence."""
        return self._storage.connections

    def membership(self, realtime: Realtime) -> MembershipService:
        """Join, leave and presence, through ``realtime``."""
        from chat.app.service import MembershipService

        return MembershipService(self.access, realtime, self.connections, self._announcer)

    def editing(self, realtime: Realtime) -> EditingService:
        """Edit, delete and react to messages, telling the document through ``realtime``."""
        from chat.app.editing import EditingService

        return EditingService(self._writing(realtime))

    def reading(self) -> ReadingService:
        """Read markers and unread counts."""
        from chat.app.reading import ReadingService

        return ReadingService(self.access, self.store, self._storage.read_markers)

    def events(self, realtime: Realtime) -> EventService:
        """What the realtime service reports, answered through ``realtime``."""
        from chat.app.events import EventService

        return EventService(self.connections, realtime, self._typing_rate, self._announcer)

    def posting(self, realtime: Realtime) -> PostingService:
        """Post messages, delivering them through ``realtime``."""
        from chat.app.service import PostingService

        return PostingService(self._writing(realtime))

    def member_admin(self) -> MemberAdmin:
        """Manage document members."""
        from chat.app.service import MemberAdmin

        access = self.access
        members_only = access if isinstance(access, MembersOnly) else None
        return MemberAdmin(self.memberships, members_only, self.connections, self._announcer)

    def notifications(self) -> NotificationService:
        """Make notifications after a write (``notify``, for the work after a commit) and
        serve each user's inbox."""
        from chat.app.notifications import NotificationService

        return NotificationService(self.access, self._storage.notifications)

    def people(self) -> PeopleService:
        """Who a reader may mention in a document."""
        from chat.app.people import PeopleService

        return PeopleService(self.access, self._members_only(), self.store, self.connections)

    def history(self) -> HistoryService:
        """Read stored messages."""
        from chat.app.service import HistoryService

        return HistoryService(self.access, self.store)

    def _members_only(self) -> Memberships | None:
        """The document members, when access is by membership (``DOCCHAT_ACCESS=members``)."""
        return self.memberships if isinstance(self.access, MembersOnly) else None

    @property
    def works_after_commits(self) -> bool:
        """Whether there are work queues: notifications and webhooks follow each commit
        (the storage has ``DOCCHAT_QUEUE``)."""
        return self._storage.queues is not None

    @property
    def webhooks(self) -> WebhookService:
        """Backend services' webhooks: the registry, :meth:`~WebhookService.enqueue` for
        each event, and :meth:`~WebhookService.deliver` for each try (built once)."""
        return self._webhooks.get()

    def _build_webhooks(self) -> WebhookService:
        from chat.app.webhooks import WebhookService

        if self._webhook_network is None:
            raise RuntimeError("webhooks need a network: the composition root gives one")
        queues = self._storage.queues
        return WebhookService(
            self._storage.webhooks,
            None if queues is None else queues.webhooks,
            self._webhook_network(),
            dev=self.settings.dev,
            schedule=self.settings.webhook_retry_schedule,
        )

    def outbox(self, realtime: Realtime) -> OutboxService:
        """Carry out what committed writes left in the outbox, sending live through
        ``realtime``."""
        from chat.app.outbox import OutboxService

        outbox, store = self._storage.outbox, self.store
        return OutboxService(outbox, store, self.notifications(), self.webhooks, realtime)

    def _writing(self, realtime: Realtime) -> MessageWriting:
        from chat.app.writing import MessageWriting

        return MessageWriting(self.access, self.store, realtime, self._rate)

    def _build_authenticator(self) -> Authenticator:
        if self.settings.auth is AuthMode.JWT:
            from chat.app.jwt_identity import BearerTokens

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
