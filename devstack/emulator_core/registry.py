"""Who is connected to a hub: connections, their users, and group memberships.

Two kinds of membership exist, as in the service. A *connection* joins a group until it leaves
or disconnects. A *user* joins a group for a ttl (or, without one, for at most a year, keeping
only the user's latest 100 such groups); every connection of that user, present or future, is
then in the group. Expiry is checked when a membership is read, so it is exact without timers.

Group, user and connection names are case-sensitive; hub names are not (the caller folds them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = ["MAX_PERMANENT_USER_GROUPS", "PERMANENT_MEMBERSHIP_SECONDS", "HubRegistry", "Member"]

#: Without a ttl the service keeps only a user's latest 100 groups...
MAX_PERMANENT_USER_GROUPS = 100
#: ...and each for at most a year.
PERMANENT_MEMBERSHIP_SECONDS = 365 * 24 * 3600.0

Clock = Callable[[], float]


class Member(Protocol):
    """What the registry needs to know about a connection."""

    @property
    def connection_id(self) -> str: ...

    @property
    def user_id(self) -> str | None: ...


M = TypeVar("M", bound=Member)


@dataclass
class _Membership:
    expires_at: float
    permanent: bool


class _UserGroups:
    """Which users are in which groups, each membership until it expires."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._by_user: dict[str, dict[str, _Membership]] = {}
        self._by_group: dict[str, set[str]] = {}

    def add(self, user: str, group: str, ttl: float | None) -> None:
        self.remove(user, group)
        now = self._clock()
        permanent = ttl is None
        expires_at = now + (PERMANENT_MEMBERSHIP_SECONDS if ttl is None else ttl)
        groups = self._by_user.setdefault(user, {})
        groups[group] = _Membership(expires_at=expires_at, permanent=permanent)
        self._by_group.setdefault(group, set()).add(user)
        self._keep_latest_permanent(user, groups)

    def remove(self, user: str, group: str) -> None:
        groups = self._by_user.get(user)
        if groups is None or groups.pop(group, None) is None:
            return
        if not groups:
            del self._by_user[user]
        users = self._by_group[group]
        users.discard(user)
        if not users:
            del self._by_group[group]

    def remove_all(self, user: str) -> None:
        for group in list(self._by_user.get(user, ())):
            self.remove(user, group)

    def contains(self, user: str, group: str) -> bool:
        membership = self._by_user.get(user, {}).get(group)
        if membership is None:
            return False
        if membership.expires_at <= self._clock():
            self.remove(user, group)
            return False
        return True

    def users_in(self, group: str) -> list[str]:
        return [user for user in list(self._by_group.get(group, ())) if self.contains(user, group)]

    def _keep_latest_permanent(self, user: str, groups: dict[str, _Membership]) -> None:
        permanent = [group for group, membership in groups.items() if membership.permanent]
        for group in permanent[:-MAX_PERMANENT_USER_GROUPS]:
            self.remove(user, group)


class HubRegistry(Generic[M]):
    """The connections of one hub and every way of addressing them."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._connections: dict[str, M] = {}
        self._by_user: dict[str, dict[str, M]] = {}
        self._by_group: dict[str, dict[str, M]] = {}
        self._groups_of: dict[str, set[str]] = {}
        self._user_groups = _UserGroups(clock)

    def __len__(self) -> int:
        return len(self._connections)

    # Connections -------------------------------------------------------------------------

    def add(self, member: M) -> None:
        """Register a connection (replacing one with the same id)."""
        self.remove(member.connection_id)
        self._connections[member.connection_id] = member
        if member.user_id is not None:
            self._by_user.setdefault(member.user_id, {})[member.connection_id] = member

    def remove(self, connection_id: str) -> M | None:
        """Forget a connection and its group memberships; returns it if it was known."""
        member = self._connections.pop(connection_id, None)
        if member is None:
            return None
        self.remove_from_all_groups(connection_id)
        if member.user_id is not None:
            _discard(self._by_user, member.user_id, connection_id)
        return member

    def get(self, connection_id: str) -> M | None:
        """The connection with this id, if connected."""
        return self._connections.get(connection_id)

    def everyone(self, excluded: Collection[str] = ()) -> list[M]:
        """Every connection but the ``excluded`` ids."""
        return _without(self._connections.values(), excluded)

    def of_user(self, user: str, excluded: Collection[str] = ()) -> list[M]:
        """Every connection of ``user`` but the ``excluded`` ids."""
        return _without(self._by_user.get(user, {}).values(), excluded)

    def in_group(self, group: str, excluded: Collection[str] = ()) -> list[M]:
        """Every connection in ``group``, directly or through its user, but the ``excluded``."""
        members = dict(self._by_group.get(group, {}))
        for user in self._user_groups.users_in(group):
            members.update(self._by_user.get(user, {}))
        return _without(members.values(), excluded)

    def has_user(self, user: str) -> bool:
        """Whether ``user`` has at least one connection."""
        return user in self._by_user

    def has_group(self, group: str) -> bool:
        """Whether ``group`` has at least one connection."""
        return bool(self.in_group(group))

    # Connection membership -------------------------------------------------------------

    def add_to_group(self, group: str, connection_id: str) -> bool:
        """Put a connection in ``group``; False if no such connection is connected."""
        member = self._connections.get(connection_id)
        if member is None:
            return False
        self._by_group.setdefault(group, {})[connection_id] = member
        self._groups_of.setdefault(connection_id, set()).add(group)
        return True

    def remove_from_group(self, group: str, connection_id: str) -> bool:
        """Take a connection out of ``group``; False if no such connection is connected."""
        if connection_id not in self._connections:
            return False
        _discard(self._by_group, group, connection_id)
        groups = self._groups_of.get(connection_id)
        if groups is not None:
            groups.discard(group)
        return True

    def remove_from_all_groups(self, connection_id: str) -> bool:
        """Take a connection out of every group; False if no such connection is connected."""
        for group in self._groups_of.pop(connection_id, set()):
            _discard(self._by_group, group, connection_id)
        return connection_id in self._connections

    # User membership -------------------------------------------------------------------

    def add_user_to_group(self, group: str, user: str, ttl: float | None = None) -> None:
        """Put ``user`` (all its connections, now and later) in ``group`` for ``ttl`` seconds.

        A ttl of 0 puts only the user's connections of now in the group, as the swagger says
        (azure-signalr docs/swagger/V20220601.json, AddUserToGroup's ttl).
        """
        if ttl == 0:
            for member in self.of_user(user):
                self.add_to_group(group, member.connection_id)
            return
        self._user_groups.add(user, group, ttl)

    def remove_user_from_group(self, group: str, user: str) -> None:
        """Take ``user`` out of ``group``."""
        self._user_groups.remove(user, group)

    def remove_user_from_all_groups(self, user: str) -> None:
        """Take ``user`` out of every group."""
        self._user_groups.remove_all(user)

    def user_in_group(self, group: str, user: str) -> bool:
        """Whether ``user`` is a member of ``group`` now."""
        return self._user_groups.contains(user, group)


def _without(members: Iterable[M], excluded: Collection[str]) -> list[M]:
    if not excluded:
        return list(members)
    return [member for member in members if member.connection_id not in excluded]


def _discard(index: dict[str, dict[str, M]], key: str, connection_id: str) -> None:
    members = index.get(key)
    if members is None:
        return
    members.pop(connection_id, None)
    if not members:
        del index[key]
