"""The chat use cases: join and leave a document, post messages, read the history.

They are the same in both SignalR modes and under every authenticator; the edges
(:mod:`chat.endpoints`) hand them a known user and validated input, and pick the
:class:`~chat.realtime.Realtime` and :class:`~chat.store.MessageStore` to use.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from chat.access import Action, DocumentAccess, Memberships, MembersOnly, Role
from chat.errors import (
    ConnectionNotFound,
    ConnectionNotYetKnown,
    Forbidden,
    MaybeStored,
    MaybeStoredBefore,
    MembersNotEnabled,
    MessageIdConflict,
    NotDelivered,
    NotStored,
    RealtimeUnavailable,
    StoreOutcomeUnknown,
    StoreUnavailable,
)
from chat.identity import User
from chat.messages import Cursor, Message, OlderThan, Page, format_timestamp
from chat.presence import Connections, Present, announce, live_presence, users_of
from chat.ratelimit import PostingRate
from chat.realtime import Realtime, group_of
from chat.store import MessageStore

__all__ = [
    "NEW_MESSAGE",
    "Draft",
    "HistoryService",
    "MemberAdmin",
    "MembershipService",
    "Posted",
    "PostingService",
]

#: The client method every message is delivered to, with the message as its one argument.
NEW_MESSAGE = "newMessage"
#: How long a join waits for the service's ``connected`` event: it usually arrives within
#: milliseconds of the connection, and the client retries a 503.
OWNER_WAIT_SECONDS = 1.0
OWNER_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Draft:
    """A message as its sender wrote it; ``id`` (optional) makes retries safe."""

    text: str
    id: str | None = None


@dataclass(frozen=True)
class Posted:
    """The stored message (with its seq), and whether this request stored it (False: a
    retry, answered with what the first try stored)."""

    message: Message
    created: bool


class MembershipService:
    """Which connections hear a document (its group) and are present in it.

    Only a connection's owner may join or leave with it. A client joins the moment its
    connection starts, which may be before the service's ``connected`` event has told
    docchat whose it is: a join waits briefly for it, then answers 503 to retry, so the
    rightful owner is never refused and the caller is never taken at its word.
    """

    def __init__(
        self,
        access: DocumentAccess,
        realtime: Realtime,
        connections: Connections,
        *,
        owner_wait: float = OWNER_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._access = access
        self._realtime = realtime
        self._connections = connections
        self._owner_wait = owner_wait
        self._clock = clock
        self._sleep = sleep

    def join(self, user: User, document_id: str, connection_id: str) -> None:
        """Let the user's connection hear the document and be present in it."""
        _require(self._access, user, Action.JOIN, document_id)
        self._require_owner(user, connection_id, self._owner_of_soon(connection_id))
        self._realtime.add_to_group(group_of(document_id), connection_id)
        self._connections.enter(document_id, Present(connection_id, user))
        announce(self._connections, self._realtime, document_id)

    def leave(self, user: User, document_id: str, connection_id: str) -> None:
        """Stop the user's connection hearing the document. A connection docchat does not
        know (gone, or never connected) hears nothing to stop."""
        owner = self._connections.owner(connection_id)
        if owner is None:
            return
        self._require_owner(user, connection_id, owner)
        self._realtime.remove_from_group(group_of(document_id), connection_id)
        self._connections.leave(document_id, connection_id)
        announce(self._connections, self._realtime, document_id)

    def who(self, user: User, document_id: str) -> list[User]:
        """The users with a live connection in the document, if the user may read it."""
        _require(self._access, user, Action.READ, document_id)
        return users_of(live_presence(self._connections, self._realtime, document_id))

    def _owner_of_soon(self, connection_id: str) -> str:
        owner = self._connections.owner(connection_id)
        if owner is not None:
            return owner
        if self._realtime.is_connected(connection_id) is False:
            raise ConnectionNotFound(
                "that connection is not connected: negotiate and connect first"
            )
        deadline = self._clock() + self._owner_wait
        while (owner := self._connections.owner(connection_id)) is None:
            if self._clock() >= deadline:
                raise ConnectionNotYetKnown(
                    "the realtime service has not yet reported this connection: try again"
                )
            self._sleep(OWNER_POLL_SECONDS)
        return owner

    @staticmethod
    def _require_owner(user: User, connection_id: str, owner: str) -> None:
        if owner != user.id:
            raise Forbidden("that connection is not yours: join and leave with your own")


class PostingService:
    """New messages: each is stored first, then delivered to the document's group."""

    def __init__(
        self,
        *,
        access: DocumentAccess,
        store: MessageStore,
        realtime: Realtime,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        rate: PostingRate | None = None,
    ) -> None:
        self._access = access
        self._store = store
        self._realtime = realtime
        self._rate = rate
        self._clock = clock
        self._new_id = new_id

    def post(self, user: User, document_id: str, draft: Draft) -> Posted:
        """Store the user's message and deliver it to the document, if the user may post and
        has not posted too fast."""
        _require(self._access, user, Action.POST, document_id)
        if self._rate is not None:
            self._rate.take(user.id)
        return self.post_for_service(user, document_id, draft)

    def post_for_service(self, sender: User, document_id: str, draft: Draft) -> Posted:
        """Store and deliver a message a trusted backend posts on ``sender``'s behalf.

        A retry with the same id and text by the same sender stores nothing new and
        delivers the stored message again, so a client that missed it gets it; any other
        reuse of the id is a :class:`MessageIdConflict` that reveals nothing about it.
        Raises :class:`NotDelivered` when the message is stored but delivery failed, and
        when it was not stored one of the :class:`~chat.errors.SendFailed` errors whose
        ``stored`` follows the rule written there.
        """
        message = Message(
            id=draft.id or self._new_id(),
            document_id=document_id,
            sender_id=sender.id,
            sender_name=sender.name,
            text=draft.text,
            created_at=format_timestamp(self._clock()),
        )
        stored = self._store_once(message, id_is_new=draft.id is None)
        try:
            self._realtime.send_to_group(
                group_of(document_id), NEW_MESSAGE, stored.message.to_json()
            )
        except RealtimeUnavailable as error:
            raise NotDelivered(message.id, retry_after=error.retry_after) from error
        return stored

    def _store_once(self, message: Message, *, id_is_new: bool) -> Posted:
        """Append ``message``, or find the twin an earlier try stored; say which it was.

        ``id_is_new``: this request made the id, so no earlier try can hold it.
        """
        try:
            appended = self._store.append(message)
        except StoreOutcomeUnknown as error:
            raise MaybeStored(message.id, retry_after=error.retry_after) from error
        except StoreUnavailable as error:
            failure = NotStored if id_is_new else MaybeStoredBefore
            raise failure(message.id, retry_after=error.retry_after) from error
        if appended is not None:
            return Posted(appended, created=True)
        try:
            return Posted(self._stored_twin(message), created=False)
        except StoreUnavailable as error:  # the id is taken: something is stored under it
            raise MaybeStoredBefore(message.id, retry_after=error.retry_after) from error

    def _stored_twin(self, message: Message) -> Message:
        stored = self._store.get(message.document_id, message.id)
        if stored is None or (stored.sender_id, stored.text) != (message.sender_id, message.text):
            raise MessageIdConflict(
                "this document already has a different message with this id: use a new id"
            )
        return stored


class MemberAdmin:
    """Who is a member of a document, as a trusted backend manages it (``members`` mode)."""

    def __init__(self, memberships: Memberships, access: MembersOnly | None) -> None:
        self._memberships = memberships
        self._access = access

    def put(self, document_id: str, user_id: str, role: Role) -> bool:
        """Make the user a member with ``role``; True if they were not one before."""
        created = self._members_only().put(document_id, user_id, role)
        self._forget(document_id, user_id)
        return created

    def remove(self, document_id: str, user_id: str, realtime: Realtime) -> None:
        """End the membership, and stop the user's connections hearing the document now."""
        self._members_only().remove(document_id, user_id)
        self._forget(document_id, user_id)
        realtime.stop_user_hearing(group_of(document_id), user_id)

    def members(self, document_id: str) -> dict[str, Role]:
        """Every member and their role."""
        return self._members_only().members(document_id)

    def _members_only(self) -> Memberships:
        if self._access is None:
            raise MembersNotEnabled(
                "DOCCHAT_ACCESS is open, so every signed-in user may see every document: "
                "set DOCCHAT_ACCESS=members to manage members"
            )
        return self._memberships

    def _forget(self, document_id: str, user_id: str) -> None:
        if self._access is not None:
            self._access.forget(document_id, user_id)


class HistoryService:
    """A document's stored messages, read back newest first or, to catch up, in order."""

    def __init__(self, access: DocumentAccess, store: MessageStore) -> None:
        self._access = access
        self._store = store

    def newest_first(
        self, user: User, document_id: str, limit: int, older_than: OlderThan | None
    ) -> Page:
        """A page of the document's messages, newest first (highest seq first).

        The token is None once there are no older messages.
        """
        _require(self._access, user, Action.READ, document_id)
        before = older_than.seq if older_than else None
        items = self._store.newest_first(document_id, limit + 1, before)
        more = len(items) > limit
        return Page(items[:limit], OlderThan(items[limit - 1].seq).encode() if more else None)

    def catch_up(self, user: User, document_id: str, after: Cursor, limit: int) -> Page:
        """The messages after ``after``, in stream order; the token is the next ``after``.

        The token is None once the document has no more, so a client repeats until then.
        """
        _require(self._access, user, Action.READ, document_id)
        items = self._store.after(document_id, after.position, limit + 1)
        more = len(items) > limit
        return Page(items[:limit], items[limit - 1].cursor.encode() if more else None)


def _require(access: DocumentAccess, user: User, action: Action, document_id: str) -> None:
    if not access.allows(user, action, document_id):
        raise Forbidden(f"you may not {action} in this document")
