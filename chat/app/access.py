"""Who may do what to which document.

``DOCCHAT_ACCESS`` picks the policy: ``open`` (:class:`AllowAll`: every signed-in user may do
everything) or ``members`` (:class:`MembersOnly`: per-document roles that a backend manages,
kept by a :class:`Memberships` store). :class:`DocumentAccess` stays the hook for a policy in
code, such as one that asks your document service: pass it to :class:`~chat.app.runtime.Runtime`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from chat.domain.users import User

__all__ = [
    "Action",
    "AllowAll",
    "DocumentAccess",
    "MemberPage",
    "MembersOnly",
    "Memberships",
    "Role",
]


class Action(enum.StrEnum):
    """What a user wants to do in a document."""

    JOIN = "join"
    READ = "read"
    POST = "post"


class Role(enum.StrEnum):
    """A member's role in one document: readers join and read, writers also post."""

    READER = "reader"
    WRITER = "writer"

    def allows(self, action: Action) -> bool:
        """Whether this role may ``action``."""
        return self is Role.WRITER or action is not Action.POST


class DocumentAccess(Protocol):
    """Decides whether ``user`` may perform ``action`` in ``document_id``."""

    def allows(self, user: User, action: Action, document_id: str) -> bool:
        """True to let the request through, False to answer 403."""
        ...


class Memberships(Protocol):
    """Where each document's members and their roles are kept."""

    def role(self, document_id: str, user_id: str) -> Role | None:
        """The user's role in the document, or None for a non-member."""
        ...

    def put(self, document_id: str, user_id: str, role: Role) -> bool:
        """Make the user a member with ``role``; True if they were not one before."""
        ...

    def remove(self, document_id: str, user_id: str) -> bool:
        """End the user's membership; False if there was none."""
        ...

    def members(self, document_id: str, limit: int, after: str | None) -> MemberPage:
        """Up to ``limit`` members of the document and their roles, in an order the store
        keeps, starting after the key ``after`` (None: from the start) that a page before
        gave as :attr:`MemberPage.next_after`."""
        ...


@dataclass(frozen=True)
class MemberPage:
    """Some members, and where the next page starts: a key made of ``[0-9a-f]``, or None
    when these were the last."""

    members: list[tuple[str, Role]]
    next_after: str | None


class AllowAll:
    """Every signed-in user may do everything in every document."""

    def allows(self, user: User, action: Action, document_id: str) -> bool:
        return True


class MembersOnly:
    """Members may act as their role allows; everyone else is turned away.

    Every check reads the role afresh: no instance caches one. A revocation must hold on
    every instance the moment its DELETE has answered (a join, send, read or catch-up that
    lands anywhere afterwards is refused), and a per-process cache cannot be told at once
    on other instances. The price is one point read of the member item per request: about
    1 RU (the item is well under 1 KB), beside a send's ~10 RU or a page read's ~3 RU. A
    membership version would cost the same read; bounded staleness would break the rule.

    The read uses the account's consistency: with Session (the default) a read by another
    instance may, in principle, reach a replica that has not applied the delete yet; an
    account that must rule that out runs Strong or Bounded Staleness consistency.
    """

    def __init__(self, memberships: Memberships) -> None:
        self._memberships = memberships

    def allows(self, user: User, action: Action, document_id: str) -> bool:
        """One point read of the user's member item (~1 RU)."""
        role = self._memberships.role(document_id, user.id)
        return role is not None and role.allows(action)
