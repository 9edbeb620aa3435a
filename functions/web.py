"""The page, as a Blueprint: the app serves its own chat page, in Azure as locally.

host.json's ``routePrefix`` is empty and every API route says ``api/`` itself
(:data:`functions.http_api.API_PREFIX`), so one GET function with the catch-all route
``{*path}`` answers what no API route takes (ASP.NET's route precedence: literal segments
before a catch-all; the Functions host keeps ``/admin`` and ``/runtime`` for itself whatever
a function's route says, azure-functions-host ``ReservedRouteGuardMiddleware``):

- ``/`` the full page and ``/embed`` the panel for one document: both ``web/index.html``,
  which reads its mode from its path; ``/embed`` may be framed by the origins
  ``DOCCHAT_FRAME_ANCESTORS`` names, ``/`` by nobody;
- ``/config.json``: what the page must know of the app (how users sign in);
- any other file of ``web/`` that the build step (``scripts/build-web.mjs``) filled: the
  browser bundles in ``web/vendor/`` and the JS client in ``web/lib/docchat-client/``.

Each file is read once per change (its size and mtime) and answered with a strong ETag and
``Cache-Control: no-cache``, so a browser revalidates and gets 304 while nothing changed.
Pages carry a Content-Security-Policy: scripts from the app only (the page's inline import
map allowed by its hash). Paths are refused before any file is touched when a segment is
``.`` or ``..``, hidden, or carries a backslash, a colon, a NUL or a percent sign (an
encoded form the host did not decode); the resolved file must still lie inside ``web/``.
Only the standard library and azure.functions are imported: this module loads on every cold
start.
"""

from __future__ import annotations

import hashlib
import json
import re
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import azure.functions as func

from chat.settings import Settings

__all__ = ["WEB_ROOT", "web_pages"]

#: The page's folder, next to the app's packages in the deployment package.
WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
PAGE = "index.html"
#: Paths that answer with the page, and whether it may be framed elsewhere.
PAGES = {"": False, "index.html": False, "embed": True}
CONFIG = "config.json"

#: The files served, by suffix: anything else in web/ (package.json, type declarations)
#: stays unserved.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
_UNSAFE_SEGMENT = re.compile(r"^\.|[\\:%\x00]")
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL)
_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


class _File(NamedTuple):
    stamp: tuple[int, int]
    body: bytes
    etag: str
    #: The CSP sources of the file's inline scripts (for a page).
    script_hashes: tuple[str, ...]


@dataclass(frozen=True)
class _Policy:
    """The Content-Security-Policy of the pages."""

    frame_ancestors: tuple[str, ...]
    dev: bool

    def header(self, page: _File, framed: bool) -> str:
        ancestors = " ".join(self.frame_ancestors) if framed else "'none'"
        # The real-time service is another origin (SignalR or Web PubSub, or the local
        # emulator over plain http in dev mode); scripts are where the policy is strict.
        connect = "'self' https: wss:" + (" http: ws:" if self.dev else "")
        return "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' {' '.join(page.script_hashes)}".rstrip(),
                "style-src 'self'",
                "img-src 'self' data:",
                f"connect-src {connect}",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                f"frame-ancestors {ancestors}",
            ]
        )


class _Files:
    """web/'s files, read once per change."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._cache: dict[Path, _File] = {}

    def get(self, relative: str) -> _File | None:
        path = _inside(self._root, relative)
        if path is None:
            return None
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        known = self._cache.get(path)
        if known is not None and known.stamp == stamp:
            return known
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        hashes = _script_hashes(body) if path.suffix == ".html" else ()
        self._cache[path] = found = _File(stamp, body, etag, hashes)
        return found


def web_pages(settings: Settings, root: Path = WEB_ROOT) -> func.Blueprint:
    """The GET function serving the page, its files and its config from ``root``."""
    files = _Files(root)
    policy = _Policy(settings.frame_ancestors, settings.dev)
    config = json.dumps({"auth": settings.auth.value}).encode()
    # azure-functions leaves Blueprint's constructor unannotated.
    web = func.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)  # type: ignore[no-untyped-call]

    @web.function_name("web_page")
    @web.route(route="{*path}", methods=["GET", "HEAD"], auth_level=func.AuthLevel.ANONYMOUS)
    def web_page(req: func.HttpRequest) -> func.HttpResponse:
        path = req.route_params.get("path") or ""
        if path == CONFIG:
            return _answer(200, config, "application/json", {"Cache-Control": "no-store"})
        if path in PAGES:
            page = files.get(PAGE)
            csp = (
                {}
                if page is None
                else {"Content-Security-Policy": policy.header(page, PAGES[path])}
            )
            return _file(req, page, PAGE, path, csp)
        return _file(req, files.get(path), path, path, {})

    return web


def _file(
    req: func.HttpRequest, found: _File | None, name: str, path: str, headers: dict[str, str]
) -> func.HttpResponse:
    if found is None:
        body = {"error": {"code": "not_found", "message": f"nothing is served at /{path}"}}
        return _answer(404, json.dumps(body).encode(), "application/json", {})
    cache = {"ETag": found.etag, "Cache-Control": "no-cache", **headers}
    if found.etag in _etags(req.headers.get("if-none-match")):
        return _answer(304, b"", None, cache)
    return _answer(200, found.body, CONTENT_TYPES[Path(name).suffix], cache)


def _answer(
    status: int, body: bytes, content_type: str | None, headers: dict[str, str]
) -> func.HttpResponse:
    all_headers = {**_COMMON_HEADERS, **headers}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return func.HttpResponse(body=body, status_code=status, headers=all_headers)


def _etags(header: str | None) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compare as strong for GET)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _inside(root: Path, relative: str) -> Path | None:
    """The served file at ``relative`` (the route's decoded path) in ``root``, or None: never
    outside it, never a hidden file, never a type not served."""
    segments = relative.split("/")
    if any(not segment or _UNSAFE_SEGMENT.search(segment) for segment in segments):
        return None
    if Path(segments[-1]).suffix not in CONTENT_TYPES:
        return None
    candidate = root.joinpath(*segments).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def _script_hashes(page: bytes) -> tuple[str, ...]:
    """CSP hash sources of the page's inline scripts (its import map), as browsers hash the
    script element's text."""
    return tuple(
        f"'sha256-{b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
        for text in _INLINE_SCRIPT.findall(page.decode())
    )
