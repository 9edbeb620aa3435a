"""The chat use cases: join and leave a document, post messages and replies, read the
history (the timeline, a thread, the thread list).

They are the same for every real-time backend (Azure SignalR Service, Azure Web PubSub) in
either mode (REST or the Functions bindings) and under every authenticator; the HTTP
surface (:mod:`chat.api.endpoints`) hands them a known user and validated input, the
invocation's :class:`~chat.app.realtime.Realtime`, and the stores of
:class:`~chat.app.store.Storage`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chat.app.access import Action, DocumentAccess, MemberPage, Memberships, MembersOnly, Role
from chat.app.editing import MESSAGE_UPDATED
from chat.app.presence import Announcer, Connections, Owner, Present, users_of
from chat.app.realtime import Realtime, group_of
from chat.app.store import MessageStore
from chat.app.writing import MessageWriting
from chat.domain.errors import (
    ConnectionNotFound,
    ConnectionNotYetKnown,
    DocumentBusy,
    Forbidden,
    HistoryFull,
    InvalidRequest,
    MaybeStored,
    MaybeStoredBefore,
    MembersNotEnabled,
    MessageIdConflict,
    MessageNotFound,
    NotDelivered,
    NotStored,
    RealtimeUnavailable,
    RevocationIncomplete,
    SendFailed,
    StoreOutcomeUnknown,
    StoreUnavailable,
)
from chat.domain.messages import Cursor, Message, OlderThan, Page, RepliesAfter, ThreadsBefore
from chat.domain.threads import REPLY_ANCHOR_REFUSAL, root_id_of
from chat.domain.users import User

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


@dataclass(frozen=True)
class Draft:
    """A message as its sender wrote it; ``id`` (optional) makes retries safe. ``reply_to``
    names the message it replies to (its thread's root, or a reply in it); a root may
    carry an ``anchor`` (checked by :func:`chat.domain.threads.anchor_problem`);
    ``mentions`` are the distinct ids of the users it mentions (each must be able to read
    the document)."""

    text: str
    id: str | None = None
    reply_to: str | None = None
    anchor: dict[str, Any] | None = None
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Posted:
    """The stored message (with its seq), and whether this request stored it (False: a
    retry, answered with what the first try stored); for a reply, its thread's root as
    the same write left it (None on a retry)."""

    message: Message
    created: bool
    root: Message | None = None


class MembershipService:
    """Which connections hear a document (its group) and are present in it.

    Only a connection's owner may join or leave with it. A client joins the moment its
    connection starts, which may be before the service's ``connected`` event has told
    docchat whose it is: such a join is answered 503 ``connection_not_yet_known`` at once
    (the page retries within a fraction of a second), never held on a sleep, so a reconnect
    storm leaves the workers free to handle the ``connected`` events it waits for.

    Cost of a join: two role checks (~1 RU each, members mode), the owner's point read
    (~1 RU; the presence entry's too, ~1 RU, only when the owner notes the document: a
    refresh), the presence upsert and owner patch (~13 RU); service calls: one
    group add plus at most one presence send, coalesced per document
    (:class:`~chat.app.presence.Announcer`) and none for a refresh. Only when the owner is
    not yet known: one HEAD, then the owner read again (~1 RU; the ``connected`` event often
    lands meanwhile, which spares the page a retry).
    """

    def __init__(
        self,
        access: DocumentAccess,
        realtime: Realtime,
        connections: Connections,
        announcer: Announcer,
    ) -> None:
        self._access = access
        self._realtime = realtime
        self._connections = connections
        self._announcer = announcer

    def join(self, user: User, document_id: str, connection_id: str) -> None:
        """Let the user's connection hear the document and be present in it.

        The presence entry is written before the connection is added, and access is
        checked again after: a revocation that lands meanwhile either finds the entry (and
        stops that connection hearing) or is seen here (and the connection is taken out
        again). An entry whose connection disconnected meanwhile is taken back out, so a
        join that races a disconnect leaves no ghost. Joining again with a connection that
        is present refreshes its entry (the page does so every few minutes, so that only
        unreported disconnects expire) and announces nothing.
        """
        _require(self._access, user, Action.JOIN, document_id)
        owner = self._owner_now(connection_id)
        self._require_owner(user, connection_id, owner)
        refresh = self._is_present(owner, document_id, connection_id)
        if not self._connections.enter(document_id, Present(connection_id, user)):
            self._connections.leave(document_id, connection_id)
            raise ConnectionNotFound("that connection closed while it joined: connect again")
        self._add_checked(user, Action.JOIN, document_id, connection_id)
        if not refresh:
            self._announcer.announce(self._connections, self._realtime, document_id)

    def watch(self, user: User, document_id: str, connection_id: str) -> None:
        """Let the user's connection hear the document without being present in it (a list
        of documents counting their unread messages live). A revocation stops it hearing as
        it does a joined connection (the user's connections leave the group, or close), and
        access is checked again after the connection is added, as :meth:`join` does.

        The connection is noted as hearing (:meth:`Connections.hear`) so that a revocation
        in bindings mode, which takes the user's connections out one by one, finds it; a
        connection present in the document already hears it, and stays present.

        Cost: two role checks (~1 RU each, members mode), the owner's point read (~1 RU; the
        entry's too when the connection joined the document), the upsert (~6 RU); one group
        add. :meth:`leave` ends it.
        """
        _require(self._access, user, Action.READ, document_id)
        owner = self._owner_now(connection_id)
        self._require_owner(user, connection_id, owner)
        if not self._is_present(owner, document_id, connection_id):
            self._connections.hear(document_id, Present(connection_id, user))
        self._add_checked(user, Action.READ, document_id, connection_id)

    def _add_checked(
        self, user: User, action: Action, document_id: str, connection_id: str
    ) -> None:
        """Add the connection, whose entry is written, to the document's group, then check
        access again: a revocation that landed meanwhile either found the entry or is seen
        here, and the connection is taken back out. A connection the service no longer has
        leaves its entry behind it."""
        group = group_of(document_id)
        try:
            self._realtime.add_to_group(group, connection_id)
        except ConnectionNotFound:
            self._connections.leave(document_id, connection_id)
            raise
        if not self._access.allows(user, action, document_id):
            self._realtime.remove_from_group(group, connection_id)
            self._connections.leave(document_id, connection_id)
            raise Forbidden(f"you may not {action} in this document")

    def leave(self, user: User, document_id: str, connection_id: str) -> None:
        """Stop the user's connection hearing the document. A connection docchat does not
        know (gone, or never connected) hears nothing to stop."""
        owner = self._connections.owner(connection_id)
        if owner is None:
            return
        self._require_owner(user, connection_id, owner)
        self._realtime.remove_from_group(group_of(document_id), connection_id)
        self._connections.leave(document_id, connection_id)
        self._announcer.announce(self._connections, self._realtime, document_id)

    def who(self, user: User, document_id: str) -> list[User]:
        """The users with a live connection in the document, if the user may read it: one
        presence query, no service call (liveness comes from events and expiry)."""
        _require(self._access, user, Action.READ, document_id)
        return users_of(self._connections.present(document_id))

    def _is_present(self, owner: Owner, document_id: str, connection_id: str) -> bool:
        """Whether the connection is present in the document. Its entry is read only if the
        owner notes the document: a connection just connected (each after a reconnect) has
        entered none, and its join spares a point read."""
        if document_id not in owner.entered:
            return False
        return self._connections.entry(document_id, connection_id) is not None

    def _owner_now(self, connection_id: str) -> Owner:
        owner = self._connections.owner(connection_id)
        if owner is None:
            if self._realtime.is_connected(connection_id) is False:
                raise ConnectionNotFound(
                    "that connection is not connected: negotiate and connect first"
                )
            # The connection is live, and its connected event often lands during that call.
            owner = self._connections.owner(connection_id)
        if owner is None:
            raise ConnectionNotYetKnown(
                "the realtime service has not yet reported this connection: try again"
            )
        return owner

    @staticmethod
    def _require_owner(user: User, connection_id: str, owner: Owner) -> None:
        if owner.user_id != user.id:
            raise Forbidden("that connection is not yours: join and leave with your own")


class PostingService:
    """New messages: each is stored first, then delivered to the document's group."""

    def __init__(
        self, writing: MessageWriting, new_id: Callable[[], str] = lambda: str(uuid.uuid4())
    ) -> None:
        self._writing = writing
        self._store = writing.store
        self._new_id = new_id

    def post(self, user: User, document_id: str, draft: Draft) -> Posted:
        """Store the user's message and deliver it to the document, if the user may post and
        has not posted too fast."""
        self._writing.allow(user, document_id, f"you may not {Action.POST} in this document")
        return self.post_for_service(user, document_id, draft)

    def post_for_service(self, sender: User, document_id: str, draft: Draft) -> Posted:
        """Store and deliver a message a trusted backend posts on ``sender``'s behalf.

        A retry with the same id and text by the same sender stores nothing new and
        delivers the stored message again, so a client that missed it gets it; any other
        reuse of the id is a :class:`MessageIdConflict` that reveals nothing about it.
        Raises :class:`NotDelivered` when the message is stored but delivery failed, and
        when it was not stored one of the :class:`~chat.domain.errors.SendFailed` errors whose
        ``stored`` follows the rule written there.
        """
        id_is_new = draft.id is None
        self._writing.require_readers(document_id, draft.mentions)
        message = Message(
            id=draft.id or self._new_id(),
            document_id=document_id,
            sender_id=sender.id,
            sender_name=sender.name,
            text=draft.text,
            created_at=self._writing.now(),
            anchor=draft.anchor,
            mentions=draft.mentions,
        )
        if draft.reply_to is not None:
            message = self._as_reply(message, draft.reply_to, id_is_new=id_is_new)
        stored = self._store_once(message, id_is_new=id_is_new)
        self._writing.tell(stored.message, NEW_MESSAGE, stored.message.to_json())
        root = stored.root if stored.created else self._root_again(stored.message)
        if root is not None:
            self._writing.tell(root, MESSAGE_UPDATED, root.to_json(), about=stored.message)
        return stored

    def _root_again(self, reply: Message) -> Message | None:
        """A retried reply's root as it is now (one point read, ~1 RU), to tell its summary
        again: the first try's telling may be what failed. None for a root."""
        if reply.thread_id is None:
            return None
        try:
            return self._store.get(reply.document_id, reply.thread_id)
        except StoreUnavailable as error:  # the reply is stored and told: send it again
            raise NotDelivered(reply.id, retry_after=error.retry_after) from error

    def _as_reply(self, message: Message, reply_to: str, *, id_is_new: bool) -> Message:
        """``message`` as a reply in the thread of ``reply_to`` (one point read, ~1 RU)."""
        if message.anchor is not None:
            raise InvalidRequest(REPLY_ANCHOR_REFUSAL)
        try:
            target = self._store.get(message.document_id, reply_to)
        except StoreUnavailable as error:
            raise _unstored(message, error, id_is_new=id_is_new) from error
        if target is None:
            raise InvalidRequest(_NO_SUCH_REPLY_TARGET)
        return dataclasses.replace(message, thread_id=root_id_of(target))

    def _store_once(self, message: Message, *, id_is_new: bool) -> Posted:
        """Append ``message``, or find the twin an earlier try stored; say which it was.

        ``id_is_new``: this request made the id, so no earlier try can hold it.
        """
        try:
            appended = self._store.append_with_root(message)
        except MessageNotFound:  # the root went between the read above and the write
            raise InvalidRequest(_NO_SUCH_REPLY_TARGET) from None
        except StoreOutcomeUnknown as error:
            raise MaybeStored(message.id, retry_after=error.retry_after) from error
        except HistoryFull as error:
            stored = False if id_is_new else None  # SendFailed's rule
            raise HistoryFull(message.id, stored=stored) from error
        except StoreUnavailable as error:
            raise _unstored(message, error, id_is_new=id_is_new) from error
        if appended is not None:
            return Posted(appended[0], created=True, root=appended[1])
        try:
            return Posted(self._stored_twin(message), created=False)
        except StoreUnavailable as error:  # the id is taken: something is stored under it
            raise MaybeStoredBefore(message.id, retry_after=error.retry_after) from error

    def _stored_twin(self, message: Message) -> Message:
        stored = self._store.get(message.document_id, message.id)
        if stored is None or _as_sent(stored) != _as_sent(message):
            raise MessageIdConflict(
                "this document already has a different message with this id: use a new id"
            )
        return stored


class MemberAdmin:
    """Who is a member of a document, as a trusted backend manages it (``members`` mode).

    A revocation removes the member item first (from then on every instance refuses the
    user's joins, sends, reads and catch-ups: :class:`~chat.app.access.MembersOnly` never
    caches a role), then stops the user's live connections hearing the document. If the
    service fails at that second step, the removal stands and the caller hears 503
    ``revocation_incomplete`` (``removed: true``): sending the DELETE again is safe and
    finishes it, since it stops the hearing whether or not a member item was left.
    """

    def __init__(
        self,
        memberships: Memberships,
        access: MembersOnly | None,
        connections: Connections,
        announcer: Announcer,
    ) -> None:
        self._memberships = memberships
        self._access = access
        self._connections = connections
        self._announcer = announcer

    def put(self, document_id: str, user_id: str, role: Role) -> bool:
        """Make the user a member with ``role``; True if they were not one before."""
        return self._members_only().put(document_id, user_id, role)

    def remove(self, document_id: str, user_id: str, realtime: Realtime) -> None:
        """End the membership, and stop the user's connections hearing the document now.

        The user's entries are marked revoked rather than deleted: they leave presence at
        once, and a retry (say, after the output binding failed once the function had
        returned) still finds the connections to take out of the group.

        Cost: the delete (~6 RU), one query for the user's entries (~3 RU), a patch per
        entry (~7 RU each); service calls: one to stop the user hearing (plus, in bindings
        mode, one group removal per joined connection), one presence send.
        """
        self._members_only().remove(document_id, user_id)
        joined = self._connections.of_user(document_id, user_id)
        try:
            realtime.stop_user_hearing(group_of(document_id), user_id, joined)
        except RealtimeUnavailable as error:
            raise RevocationIncomplete(retry_after=error.retry_after) from error
        for connection_id in joined:
            self._connections.revoke(document_id, connection_id)
        if joined:
            self._announcer.announce(self._connections, realtime, document_id)

    def members(self, document_id: str, limit: int, after: str | None = None) -> MemberPage:
        """A page of the members and their roles (see :meth:`Memberships.members`)."""
        return self._members_only().members(document_id, limit, after)

    def _members_only(self) -> Memberships:
        if self._access is None:
            raise MembersNotEnabled(
                "DOCCHAT_ACCESS is open, so every signed-in user may see every document: "
                "set DOCCHAT_ACCESS=members to manage members"
            )
        return self._memberships


class HistoryService:
    """A document's stored messages, read back newest first or, to catch up, in order."""

    def __init__(self, access: DocumentAccess, store: MessageStore) -> None:
        self._access = access
        self._store = store

    def newest_first(
        self, user: User, document_id: str, limit: int, older_than: OlderThan | None
    ) -> Page:
        """A page of the document's timeline (its messages that are no reply), newest first
        (highest seq first).

        The token is None once there are no older messages.
        """
        _require(self._access, user, Action.READ, document_id)
        before = older_than.seq if older_than else None
        items = self._store.newest_first(document_id, limit + 1, before)
        return _page(items, limit, lambda last: OlderThan(last.seq).encode())

    def thread(
        self, user: User, document_id: str, root_id: str, limit: int, after: RepliesAfter | None
    ) -> Page:
        """The root (first page only) and then up to ``limit`` of its replies, oldest first;
        the token is None once there are no more replies."""
        _require(self._access, user, Action.READ, document_id)
        root = self._store.get(document_id, root_id)
        if root is None:
            raise MessageNotFound("this document has no message with that id")
        if root.thread_id is not None:
            raise InvalidRequest("rootId names a reply: read its thread's root")
        replies = self._store.replies(document_id, root_id, limit + 1, after.seq if after else 0)
        page = _page(replies, limit, lambda last: RepliesAfter(last.seq).encode())
        return Page(([] if after else [root]) + page.items, page.continuation_token)

    def threads(
        self,
        user: User,
        document_id: str,
        listings: tuple[str, ...],
        limit: int,
        before: ThreadsBefore | None,
    ) -> Page:
        """A page of the roots listed as one of ``listings`` (see
        :class:`~chat.domain.messages.Listing`), latest change first; the token is None
        after the last."""
        _require(self._access, user, Action.READ, document_id)
        position = before.position if before else None
        roots = self._store.threads(document_id, listings, limit + 1, position)
        return _page(roots, limit, lambda last: ThreadsBefore(last.position).encode())

    def catch_up(self, user: User, document_id: str, after: Cursor, limit: int) -> Page:
        """The messages after ``after``, in stream order (replies, and roots in their
        state after their thread changed, too); the token is the next ``after``.

        The token is None once the document has no more, so a client repeats until then.
        """
        _require(self._access, user, Action.READ, document_id)
        items = self._store.after(document_id, after.position, limit + 1)
        return _page(items, limit, lambda last: last.cursor.encode())


#: The most text one page carries, whatever its ``limit``: 500 messages of the longest text
#: a deployment allows (``DOCCHAT_MAX_MESSAGE_LENGTH``, up to 100,000) would be a response of
#: hundreds of megabytes. A page stops before the message that passes it (one at least);
#: with the default 4,000 characters, a full page of the longest messages is 250 of them.
MAX_PAGE_TEXT_CHARACTERS = 1_000_000


def _page(items: list[Message], limit: int, token_of: Callable[[Message], str]) -> Page:
    """The page of ``items`` (read one past ``limit``, to know whether more follow): at
    most ``limit`` of them, and fewer when their text passes
    :data:`MAX_PAGE_TEXT_CHARACTERS`; the token is ``token_of`` its last, if more follow."""
    count, text = 0, 0
    for message in items[:limit]:
        text += len(message.text)
        if count and text > MAX_PAGE_TEXT_CHARACTERS:
            break
        count += 1
    more = len(items) > count
    return Page(items[:count], token_of(items[count - 1]) if more else None)


#: A ``replyTo`` that names no message of the document.
_NO_SUCH_REPLY_TARGET = "replyTo: this document has no message with that id"


def _unstored(message: Message, error: StoreUnavailable, *, id_is_new: bool) -> SendFailed:
    """The answer when the store could not be reached before ``message`` was written: not
    stored, if this request made its id; else an earlier try may have stored it."""
    failure = NotStored if id_is_new else MaybeStoredBefore
    busy = isinstance(error, DocumentBusy)
    return failure(message.id, retry_after=error.retry_after, busy=busy)


def _as_sent(message: Message) -> tuple[object, ...]:
    """What a retry of a send must repeat to be the same send."""
    return (message.sender_id, message.text, message.thread_id, message.anchor, message.mentions)


def _require(access: DocumentAccess, user: User, action: Action, document_id: str) -> None:
    if not access.allows(user, action, document_id):
        raise Forbidden(f"you may not {action} in this document")
