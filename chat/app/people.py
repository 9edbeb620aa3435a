"""Who a user may mention in a document: the people a ``@`` autocomplete offers.

In ``DOCCHAT_ACCESS=members`` they are the document's members (every role reads), the first
:data:`MAX_PEOPLE` in the store's order; in ``open`` mode, where anyone signed in may read,
they are who spoke lately (the senders of the timeline's newest page, newest first) and who
is present now. Names come from those same messages and presence entries; a member known
by neither shows as their id. Cost, either way bounded whatever the document holds: the
timeline's newest page (~1 RU + a page query) and the presence query (~3 RU), plus in
members mode one page of members (~3 RU + a page).
"""

from __future__ import annotations

from chat.app.access import Action, DocumentAccess, Memberships
from chat.app.presence import Connections, users_of
from chat.app.store import MessageStore
from chat.domain.errors import Forbidden
from chat.domain.users import User

__all__ = ["MAX_PEOPLE", "RECENT_MESSAGES", "PeopleService"]

#: The most people listed: an autocomplete narrows as the user types.
MAX_PEOPLE = 100
#: How many of the newest messages name the recent senders.
RECENT_MESSAGES = 50


class PeopleService:
    """The people of a document a reader may mention."""

    def __init__(
        self,
        access: DocumentAccess,
        members: Memberships | None,
        store: MessageStore,
        connections: Connections,
    ) -> None:
        self._access = access
        self._members = members
        self._store = store
        self._connections = connections

    def people(self, user: User, document_id: str) -> list[User]:
        """The document's people (see the module), if ``user`` may read it."""
        if not self._access.allows(user, Action.READ, document_id):
            raise Forbidden(f"you may not {Action.READ} in this document")
        known: dict[str, User] = {}
        for message in self._store.newest_first(document_id, RECENT_MESSAGES, None):
            known.setdefault(message.sender_id, User(message.sender_id, message.sender_name))
        for present in users_of(self._connections.present(document_id)):
            known.setdefault(present.id, present)
        if self._members is None:
            return list(known.values())[:MAX_PEOPLE]
        page = self._members.members(document_id, MAX_PEOPLE, None)
        return [known.get(user_id, User(user_id, user_id)) for user_id, _ in page.members]
