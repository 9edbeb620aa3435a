"""Who may do what to which document: the hook an app plugs its own rules into.

docchat knows nothing about documents beyond their ids, so whether a user may join, read or
post is someone else's decision. :class:`AllowAll` is the default; replace it in
:mod:`chat.runtime` with a class that asks your document service.
"""

from __future__ import annotations

import enum
from typing import Protocol

from chat.identity import User

__all__ = ["Action", "AllowAll", "DocumentAccess"]


class Action(enum.StrEnum):
    """What a user wants to do in a document."""

    JOIN = "join"
    READ = "read"
    POST = "post"


class DocumentAccess(Protocol):
    """Decides whether ``user`` may perform ``action`` in ``document_id``."""

    def allows(self, user: User, action: Action, document_id: str) -> bool:
        """True to let the request through, False to answer 403."""
        ...


class AllowAll:
    """Every signed-in user may do everything in every document."""

    def allows(self, user: User, action: Action, document_id: str) -> bool:
        return True
