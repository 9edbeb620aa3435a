"""What every use case that writes messages shares: who may, how fast, where messages are
kept, who hears of them, and when it is.

:class:`~chat.app.service.PostingService` and :class:`~chat.app.editing.EditingService`
take one :class:`MessageWriting` each, which :class:`~chat.app.runtime.Runtime` builds per
invocation around its :class:`~chat.app.realtime.Realtime`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chat.app.access import Action, DocumentAccess
from chat.app.realtime import Realtime, group_of
from chat.app.store import MessageStore
from chat.domain.errors import Forbidden, InvalidRequest, NotDelivered, RealtimeUnavailable
from chat.domain.messages import Message, format_timestamp
from chat.domain.ratelimit import PostingRate
from chat.domain.users import User

__all__ = ["MessageWriting"]


@dataclass(frozen=True)
class MessageWriting:
    """The access policy, the store, the invocation's real-time seam, the posting rate (None:
    unlimited) and the clock."""

    access: DocumentAccess
    store: MessageStore
    realtime: Realtime
    rate: PostingRate | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def allow(self, user: User, document_id: str, refusal: str) -> None:
        """Let ``user`` write in the document if the policy allows it (else :class:`Forbidden`
        saying ``refusal``) and they have not written too fast."""
        if not self.access.allows(user, Action.POST, document_id):
            raise Forbidden(refusal)
        if self.rate is not None:
            self.rate.take(user.id)

    def require_readers(self, document_id: str, mentions: tuple[str, ...]) -> None:
        """Refuse (:class:`InvalidRequest`, naming them) mentions of users who may not read
        the document: they could not follow the mention. One access check per id (members
        mode: a point read each, ~1 RU, at most 20); nothing is stored before this."""
        refused = [
            user_id
            for user_id in mentions
            if not self.access.allows(User(user_id, user_id), Action.READ, document_id)
        ]
        if refused:
            names = ", ".join(json.dumps(user_id, ensure_ascii=False) for user_id in refused)
            raise InvalidRequest(f"mentions: these users may not read this document: {names}")

    def now(self) -> str:
        """The clock's time, as messages keep it."""
        return format_timestamp(self.clock())

    def tell(
        self, message: Message, event: str, payload: dict[str, Any], *, about: Message | None = None
    ) -> None:
        """Send ``event`` about the stored ``message`` to its document's group; a failure is
        :class:`NotDelivered` of the message the request wrote (``about``: a reply whose root
        this tells of; else ``message``), for it is stored."""
        try:
            self.realtime.send_to_group(group_of(message.document_id), event, payload)
        except RealtimeUnavailable as error:
            raise NotDelivered((about or message).id, retry_after=error.retry_after) from error
