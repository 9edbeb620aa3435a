"""The dev host's own static files (``--web DIR``, for an app without a page of its own): a
web folder at /, folders at fixed prefixes, single files at fixed paths, nothing else.
docchat's page is its app's (functions/web.py, tests/integration/test_web_page.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from devstack.stack import PROJECT_ROOT
from tests.devstack.host_apps.serving import serving

SIGNALR_CLIENT = PROJECT_ROOT / "node_modules/@microsoft/signalr/dist/browser/signalr.min.js"
SIGNALR_CLIENT_URL = "/vendor/signalr.min.js"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[str]:
    web = tmp_path / "web"
    (web / "css").mkdir(parents=True)
    (web / "index.html").write_text("<h1>the page</h1>")
    (web / "app.js").write_text("console.log('app');")
    (web / "css" / "site.css").write_text("body {}")
    (tmp_path / "secret.txt").write_text("outside the web folder")
    (web / "leak.txt").symlink_to(tmp_path / "secret.txt")
    library = tmp_path / "library"
    library.mkdir()
    (library / "index.js").write_text("export const client = 1;")
    (library / "leak.txt").symlink_to(tmp_path / "secret.txt")
    files = {SIGNALR_CLIENT_URL: SIGNALR_CLIENT}
    folders = {"/lib/client": library}
    async with serving(
        "routes_app", web_root=web, static_files=files, static_folders=folders
    ) as base_url:
        yield base_url


async def fetch(base_url: str, raw_path: str, method: str = "GET") -> tuple[int, str, str]:
    """Send ``raw_path`` exactly as written: no client-side clean-up of ``..``."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, URL(base_url + raw_path, encoded=True)) as answer,
    ):
        return answer.status, answer.headers.get("Content-Type", ""), await answer.text()


async def test_the_root_is_the_index_page(site: str) -> None:
    assert await fetch(site, "/") == (200, "text/html", "<h1>the page</h1>")


@pytest.mark.parametrize(
    ("path", "kind", "text"),
    [("/app.js", "javascript", "console.log('app');"), ("/css/site.css", "text/css", "body {}")],
)
async def test_files_in_the_web_folder_are_served(
    site: str, path: str, kind: str, text: str
) -> None:
    status, content_type, body = await fetch(site, path)
    assert (status, body) == (200, text)
    assert kind in content_type


async def test_a_single_file_is_served_at_its_path(site: str) -> None:
    status, content_type, body = await fetch(site, SIGNALR_CLIENT_URL)
    assert status == 200
    assert "javascript" in content_type
    assert body == SIGNALR_CLIENT.read_text()


async def test_a_mounted_folder_is_served_under_its_prefix(site: str) -> None:
    status, content_type, body = await fetch(site, "/lib/client/index.js")
    assert (status, body) == (200, "export const client = 1;")
    assert "javascript" in content_type


@pytest.mark.parametrize(
    "path",
    [
        "/lib/client/../../secret.txt",
        "/lib/client/%2e%2e/secret.txt",
        "/lib/client/leak.txt",
        "/lib/client/",
        "/lib/client/missing.js",
    ],
)
async def test_nothing_outside_a_mounted_folder_is_served(site: str, path: str) -> None:
    status, _, body = await fetch(site, path)
    assert status == 404
    assert "outside" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/css/%2E%2E/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/leak.txt",
        "/%2Fetc%2Fpasswd",
    ],
)
async def test_nothing_outside_the_web_folder_is_served(site: str, path: str) -> None:
    status, _, body = await fetch(site, path)
    assert status == 404
    assert "outside" not in body


async def test_functions_come_before_files(site: str) -> None:
    status, _, body = await fetch(site, "/api/answers/text")
    assert (status, body) == (200, "plain words")


async def test_files_take_only_get_and_head(site: str) -> None:
    assert (await fetch(site, "/app.js", "HEAD"))[0] == 200
    assert (await fetch(site, "/app.js", "POST"))[0] == 405
