"""Who may do what to which document.

``DOCCHAT_ACCESS`` picks the policy: ``open`` (:class:`AllowAll`: every signed-in user may do
everything) or ``members`` (:class:`MembersOnly`: per-document roles that a backend manages,
kept by a :class:`Memberships` store). :class:`DocumentAccess` stays the hook for a policy in
code, such as one that asks your document service: pass it to :class:`~chat.runtime.Runtime`.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chat.identity import User

__all__ = [
    "MEMBERSHIP_CACHE_SECONDS",
    "Action",
    "AllowAll",
    "DocumentAccess",
    "MemberPage",
    "MembersOnly",
    "Memberships",
    "Role",
]

#: How long an instance trusts a role it read: a revocation reaches every instance within
#: this (the issue's bound is 30 s), and a busy document costs one point read per user per
#: instance per period instead of one per request.
MEMBERSHIP_CACHE_SECONDS = 10.0
#: Roles an instance remembers; a forgotten one costs one point read.
MAX_CACHED_ROLES = 50_000


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

    Roles are cached per instance for :data:`MEMBERSHIP_CACHE_SECONDS`;
    :meth:`forget` drops one at once, which the instance that changes a membership does.
    """

    def __init__(
        self,
        memberships: Memberships,
        *,
        ttl: float = MEMBERSHIP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._memberships = memberships
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], tuple[float, Role | None]] = OrderedDict()

    def allows(self, user: User, action: Action, document_id: str) -> bool:
        role = self._role(document_id, user.id)
        return role is not None and role.allows(action)

    def forget(self, document_id: str, user_id: str) -> None:
        """Read this user's role afresh next time."""
        with self._lock:
            self._cache.pop((document_id, user_id), None)

    def _role(self, document_id: str, user_id: str) -> Role | None:
        key = (document_id, user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        role = self._memberships.role(document_id, user_id)
        with self._lock:
            self._cache[key] = (now + self._ttl, role)
            self._cache.move_to_end(key)
            if len(self._cache) > MAX_CACHED_ROLES:
                self._cache.popitem(last=False)
        return role
