"""What the browser scenarios share: the ``open_page`` fixture's type, fresh documents,
screenshots, and the API as a dev user (what another tab of the same user would do)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Protocol, TypedDict
from urllib.parse import quote

import requests

from devstack.stack import LocalStack
from tests.e2e.browser import Page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_ENV = "DOCCHAT_UPDATE_SCREENSHOT"


class Viewport(TypedDict):
    """A tab's size in CSS pixels."""

    width: int
    height: int


#: A phone, as the issue names it, and the tests' usual desktop window.
PHONE = Viewport(width=390, height=844)
DESKTOP = Viewport(width=1120, height=660)


class OpenPage(Protocol):
    """The ``open_page`` fixture: opens a named tab (its own browser context)."""

    def __call__(
        self,
        name: str,
        *,
        width: int = ...,
        height: int = ...,
        color_scheme: str = ...,
        touch: bool = ...,
    ) -> Page: ...


def new_document_id(purpose: str) -> str:
    """A document no other test touches."""
    return f"{purpose}-{uuid.uuid4().hex[:8]}"


def open_together(open_page: OpenPage, document_id: str, *names: str) -> list[Page]:
    """A tab for each of these users ("Alice" is the tab "alice"), each live in the document."""
    pages = [open_page(name.lower()) for name in names]
    for page, name in zip(pages, names, strict=True):
        page.open(name, document_id)
    return pages


def screenshot_path(name: str) -> Path:
    """docs/<name> when asked to refresh the README's screenshots, else a git-ignored copy."""
    if os.environ.get(SCREENSHOT_ENV) == "1":
        return PROJECT_ROOT / "docs" / name
    return Path(__file__).with_name("artifacts") / name


def as_user(
    stack: LocalStack, user_id: str, method: str, path: str, body: Any = None
) -> requests.Response:
    """``method /api/documents/<path>`` as the dev user ``user_id``, named as the page's preset
    users are ("alice" is "Alice")."""
    return requests.request(
        method,
        f"{stack.base_url}/api/documents/{path}",
        json=body,
        headers={
            "x-ms-client-principal-id": user_id,
            "x-ms-client-principal-name": user_id.capitalize(),
        },
        timeout=30,
    )


def document_path(document_id: str, *parts: str) -> str:
    """The path under ``/api/documents/`` of a document's resource, each part URL-encoded."""
    return "/".join(quote(part, safe="") for part in (document_id, *parts))
