"""The page is the app's: its ``web_page`` function (functions/web.py) serves ``/``, ``/embed``,
``/config.json`` and web/'s files below an empty route prefix, beside the API's ``api/``
routes, as the dev host serves the app with this project's host.json; nothing outside web/,
whatever the path's encoding."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import azure.functions as func
import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from chat.settings import SettingsError, load_settings
from devstack.host.server import HostOptions, create_host_app, host_runner
from devstack.host.settings import read_route_prefix
from devstack.stack import build_web
from functions import create_app
from functions.web import web_pages

ROOT = Path(__file__).resolve().parents[2]
FRAMERS = "'self' http://127.0.0.1:8765 https://*.example.com"
ENVIRONMENT = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_ACCESS": "open",
    "DOCCHAT_FRAME_ANCESTORS": FRAMERS,
    "COSMOS_ENDPOINT": "https://127.0.0.1:9",
    "COSMOS_KEY": "web-page-test-key",
    "AzureSignalRConnectionString": (
        "Endpoint=http://127.0.0.1:9;AccessKey=web-page-test-access-key-0123456789;Version=1.0;"
    ),
}


async def _serve(app: func.FunctionApp, environment: dict[str, str]) -> AsyncIterator[str]:
    options = HostOptions(
        route_prefix=read_route_prefix(ROOT / "host.json"),
        settings=environment,
        app_directory=ROOT,
    )
    runner = host_runner(create_host_app(app, options))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture(scope="module")
def built() -> None:
    """web/vendor and web/lib, as azd's prepackage hook and the local stack fill them."""
    build_web(ROOT, timeout=60)


@pytest.fixture
async def site(built: None) -> AsyncIterator[str]:
    async for base_url in _serve(create_app(ENVIRONMENT), ENVIRONMENT):
        yield base_url


async def fetch(
    base_url: str, raw_path: str, method: str = "GET", **headers: str
) -> tuple[int, CIMultiDict[str], bytes]:
    """Send ``raw_path`` exactly as written: no client-side clean-up of ``..``."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, URL(base_url + raw_path, encoded=True), headers=headers) as answer,
    ):
        return answer.status, CIMultiDict(answer.headers), await answer.read()


def csp(headers: CIMultiDict[str]) -> dict[str, str]:
    directives = (
        part.strip().partition(" ") for part in headers["Content-Security-Policy"].split(";")
    )
    return {name: value for name, _, value in directives}


async def test_the_full_page_is_served_at_the_root_and_may_not_be_framed(site: str) -> None:
    status, headers, body = await fetch(site, "/")

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (ROOT / "web" / "index.html").read_bytes()
    policy = csp(headers)
    assert policy["frame-ancestors"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_the_panel_may_be_framed_by_the_configured_origins_only(site: str) -> None:
    status, headers, body = await fetch(site, "/embed?document=launch-plan")

    assert status == 200
    assert body == (ROOT / "web" / "index.html").read_bytes()
    assert csp(headers)["frame-ancestors"] == FRAMERS


async def test_scripts_come_from_the_app_and_the_import_map_by_its_hash(site: str) -> None:
    _, headers, body = await fetch(site, "/embed")

    (import_map,) = re.findall(r'<script type="importmap">(.*?)</script>', body.decode(), re.S)
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    assert csp(headers)["script-src"] == f"'self' 'sha256-{digest}'"
    assert csp(headers)["object-src"] == "'none'"


async def test_the_config_says_how_users_sign_in(site: str) -> None:
    status, headers, body = await fetch(site, "/config.json")

    assert (status, json.loads(body)) == (200, {"auth": "dev"})
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "content_type", "source"),
    [
        ("/styles.css", "text/css", "web/styles.css"),
        ("/js/app.js", "text/javascript", "web/js/app.js"),
        ("/favicon.svg", "image/svg+xml", "web/favicon.svg"),
        ("/vendor/signalr.min.js", "text/javascript", "web/vendor/signalr.min.js"),
        ("/vendor/web-pubsub-client.js", "text/javascript", "web/vendor/web-pubsub-client.js"),
        ("/lib/docchat-client/index.js", "text/javascript", "clients/js/src/index.js"),
    ],
)
async def test_the_page_s_files_are_served_with_their_types(
    site: str, path: str, content_type: str, source: str
) -> None:
    status, headers, body = await fetch(site, path)

    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert body == (ROOT / source).read_bytes()
    assert headers["Cache-Control"] == "no-cache"


async def test_an_unchanged_file_is_revalidated_with_its_etag(site: str) -> None:
    _, first, _ = await fetch(site, "/js/app.js")

    status, headers, body = await fetch(site, "/js/app.js", **{"If-None-Match": first["ETag"]})

    assert (status, body, headers["ETag"]) == (304, b"", first["ETag"])
    assert (await fetch(site, "/js/app.js", **{"If-None-Match": '"other"'}))[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/../host.json",
        "/%2e%2e/host.json",
        "/js/%2E%2E/%2E%2E/host.json",
        "/..%2fhost.json",
        "/js/..%5c..%5chost.json",
        "/%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/C:%5Cwindows%5Cwin.ini",
        "/js/%252e%252e/%252e%252e/host.json",
        "/package.json",
        "/js/globals.d.ts",
        "/.gitignore",
        "/missing.js",
    ],
)
async def test_nothing_outside_the_served_files_is_answered(site: str, path: str) -> None:
    status, _, body = await fetch(site, path)

    assert status in (400, 404), path
    assert b"extensionBundle" not in body
    assert b"root:" not in body


async def test_the_api_keeps_its_routes_and_the_host_its_reserved_ones(site: str) -> None:
    status, _, body = await fetch(site, "/api/openapi.json")
    assert status == 200
    assert json.loads(body)["servers"] == [{"url": "/api"}]
    assert (await fetch(site, "/api/no-such-route"))[0] == 404
    # The Functions host keeps /admin and /runtime: a catch-all route never sees them.
    assert (await fetch(site, "/admin/functions"))[0] == 404
    assert (await fetch(site, "/runtime/other"))[0] == 404


async def test_the_page_takes_only_get_and_head(site: str) -> None:
    assert (await fetch(site, "/", "HEAD"))[0] == 200
    assert (await fetch(site, "/", "POST"))[0] == 405


async def test_a_symlink_leading_out_of_the_web_folder_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "web"
    root.mkdir()
    (root / "index.html").write_text("<p>page</p>")
    (tmp_path / "secret.js").write_text("outside the web folder")
    (root / "leak.js").symlink_to(tmp_path / "secret.js")
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(web_pages(load_settings(ENVIRONMENT), root))

    async for base_url in _serve(app, ENVIRONMENT):
        status, _, body = await fetch(base_url, "/leak.js")
        assert status == 404
        assert b"outside" not in body
        assert (await fetch(base_url, "/"))[2] == b"<p>page</p>"


@pytest.mark.parametrize(
    "value", ["*", "https://a.example.com/path", "'none' https://a.example.com", "https://x;y"]
)
def test_a_frame_ancestors_setting_that_is_no_list_of_origins_stops_the_start(value: str) -> None:
    with pytest.raises(SettingsError, match="DOCCHAT_FRAME_ANCESTORS"):
        load_settings({**ENVIRONMENT, "DOCCHAT_FRAME_ANCESTORS": value})
