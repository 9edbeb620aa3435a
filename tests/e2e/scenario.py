"""What the browser scenarios share: the ``open_page`` fixture's type and fresh documents."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.e2e.browser import Page

#: The ``open_page`` fixture: opens a named tab (its own browser context).
OpenPage = Callable[[str], Page]


def new_document_id(purpose: str) -> str:
    """A document no other test touches."""
    return f"{purpose}-{uuid.uuid4().hex[:8]}"
