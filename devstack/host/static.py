"""Static files next to the functions: a web folder, folders at fixed URL prefixes and single
files at fixed paths.

The dev host serves the demo page from the same origin as the API, so the page needs no CORS.
``/`` is the folder's ``index.html``; other paths are files inside the folder, never outside
it (``..``, absolute paths and symlinks leading out are refused). Explicit mappings, such as
``/vendor/signalr.min.js`` to a file in node_modules, come first, then the mounted folders
(``/lib/docchat-client/`` to the JS client's sources), with the same rules as the web folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

__all__ = ["StaticFiles"]


class StaticFiles:
    """Finds the file for a URL path; serves it without caching, so edits show at once."""

    def __init__(
        self,
        root: Path | None = None,
        files: Mapping[str, Path] | None = None,
        folders: Mapping[str, Path] | None = None,
    ) -> None:
        self._root = root.resolve() if root is not None else None
        self._files = {"/" + url.lstrip("/"): path for url, path in (files or {}).items()}
        self._folders = {
            "/" + url.strip("/") + "/": path.resolve() for url, path in (folders or {}).items()
        }

    def find(self, raw_path: str) -> Path | None:
        """The file for ``raw_path`` (percent-encoded), or None."""
        path = unquote(raw_path)
        if path in self._files:
            return self._files[path] if self._files[path].is_file() else None
        for prefix, folder in self._folders.items():
            if path.startswith(prefix):
                return _inside(folder, path.removeprefix(prefix))
        if self._root is None:
            return None
        return _inside(self._root, path if path.strip("/") else "index.html")

    def response(self, path: Path) -> web.FileResponse:
        """The file at ``path`` as an answer."""
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


def _inside(folder: Path, path: str) -> Path | None:
    """The file at ``path`` (decoded, relative) in ``folder``, never outside it."""
    parts = [part for part in path.split("/") if part]
    if not parts or any(part in (".", "..") or "\\" in part or "\0" in part for part in parts):
        return None
    candidate = folder.joinpath(*parts).resolve()
    if not candidate.is_relative_to(folder) or not candidate.is_file():
        return None
    return candidate
