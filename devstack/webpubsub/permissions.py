"""What a client connection may do, from its roles and the permissions granted to it.

Roles (Azure docs includes/reference-permission.md): without any a client may only send
``event`` requests; ``webpubsub.joinLeaveGroup`` and ``webpubsub.sendToGroup`` allow joining,
leaving and publishing to any group, and the same followed by ``.<group>`` to that group only.
The REST API grants and revokes the same two permissions per connection, for one group
(``targetName``) or every group.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["JOIN_LEAVE_GROUP", "PERMISSIONS", "SEND_TO_GROUP", "Permissions"]

JOIN_LEAVE_GROUP = "joinLeaveGroup"
SEND_TO_GROUP = "sendToGroup"
PERMISSIONS = (JOIN_LEAVE_GROUP, SEND_TO_GROUP)
_ROLE_PREFIX = "webpubsub."


class Permissions:
    """One connection's permissions: ``(permission, group)`` pairs, group None for all."""

    def __init__(self, roles: Iterable[str] = ()) -> None:
        self._granted: set[tuple[str, str | None]] = set()
        for role in roles:
            permission, _, group = role.removeprefix(_ROLE_PREFIX).partition(".")
            if role.startswith(_ROLE_PREFIX) and permission in PERMISSIONS:
                self._granted.add((permission, group or None))

    def has(self, permission: str, target: str | None) -> bool:
        """Whether the connection may do ``permission`` on group ``target`` (None: on every
        group)."""
        return (permission, None) in self._granted or (
            target is not None and (permission, target) in self._granted
        )

    def grant(self, permission: str, target: str | None) -> None:
        self._granted.add((permission, target))

    def revoke(self, permission: str, target: str | None) -> None:
        """Take away the grant for ``target`` (or, without one, every grant of ``permission``)."""
        if target is None:
            self._granted = {grant for grant in self._granted if grant[0] != permission}
        else:
            self._granted.discard((permission, target))
