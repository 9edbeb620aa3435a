"""The panel (``/embed?document=<id>``) as another site embeds it: a plain HTML page served from
another local port frames it (the app lets that origin, ``DOCCHAT_FRAME_ANCESTORS``), and a
reader chats through it with someone on the full page. The panel has no dev-only controls, no
document picker and no sidebar; it takes the embedding site's theme tokens; it is axe-core
clean at phone and desktop sizes, light and dark. The README's screenshot of it is taken here.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from devstack.stack import LocalStack, free_port
from tests.e2e.browser import Browser, Page
from tests.e2e.scenario import DESKTOP, PHONE, OpenPage, new_document_id, screenshot_path

FRAME = "iframe#docchat"


class _Site(BaseHTTPRequestHandler):
    """Another site: every path answers its one page, which frames the panel."""

    def __init__(self, page: bytes, *args: object) -> None:
        self._page = page
        super().__init__(*args)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self._page)

    def log_message(self, *_: object) -> None:
        """Quiet: the test says what went wrong."""


class EmbeddingSite:
    """A plain HTML page on 127.0.0.1:<port>, beside its own "document", framing the panel."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self._server: ThreadingHTTPServer | None = None

    def serve(self, panel_url: str) -> None:
        page = _embedding_page(panel_url).encode()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), partial(_Site, page))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _embedding_page(panel_url: str) -> str:
    """What the README tells a site to write: an iframe of the panel beside its document."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Launch plan · Example Docs</title>
  <style>
    body {{ margin: 0; display: flex; height: 100vh; font-family: Georgia, serif; }}
    article {{ flex: 1; padding: 24px 32px; overflow: auto; }}
    iframe {{ flex: 0 0 420px; height: 100vh; border: 0; border-left: 1px solid #ddd; }}
    @media (max-width: 760px) {{ article {{ display: none; }} iframe {{ flex: 1; }} }}
  </style>
</head>
<body>
  <article>
    <h1>Launch plan</h1>
    <p>Beta opens on 3 March; general availability follows in April.</p>
  </article>
  <iframe id="docchat" title="Chat about this document" src="{html.escape(panel_url)}"></iframe>
</body>
</html>"""


@pytest.fixture(scope="module")
def site() -> Iterator[EmbeddingSite]:
    embedding = EmbeddingSite()
    yield embedding
    embedding.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, site: EmbeddingSite) -> Iterator[LocalStack]:
    """The whole local stack, with the embedding site's origin allowed to frame the panel."""
    overrides = {"DOCCHAT_FRAME_ANCESTORS": f"'self' {site.origin}"}
    with LocalStack(
        log_dir=tmp_path_factory.mktemp("devstack-logs"), settings_overrides=overrides
    ) as running:
        yield running


def panel_url(stack: LocalStack, document_id: str, **query: str) -> str:
    return f"{stack.base_url}/embed?{urlencode({'document': document_id, **query})}"


def open_site(
    open_page: OpenPage,
    site: EmbeddingSite,
    url: str,
    *,
    name: str = "site",
    width: int = DESKTOP["width"],
    height: int = DESKTOP["height"],
    scheme: str = "light",
) -> Page:
    """The embedding site's page in a tab, its panel live."""
    site.close()
    site.serve(url)
    page = open_page(name, width=width, height=height, color_scheme=scheme)
    page.goto_url(site.origin + "/")
    page.frame_wait_for(
        FRAME,
        "the panel live",
        "document.querySelector('[data-testid=chat]')?.dataset.sync === 'live'",
    )
    return page


def test_a_reader_chats_through_the_panel_another_site_embeds(
    stack: LocalStack, site: EmbeddingSite, open_page: OpenPage
) -> None:
    document_id = new_document_id("embed")
    host = open_site(open_page, site, panel_url(stack, document_id, user="Alice"))
    bob = open_page("bob")
    bob.open("Bob", document_id)

    host.frame_send(FRAME, "Hello from the embedded panel")
    bob.wait_for_texts("Hello from the embedded panel")
    bob.send("Hi Alice, seen it")
    host.frame_wait_for(
        FRAME,
        "Bob's reply",
        "[...document.querySelectorAll('[data-testid=message-text]')]"
        ".some((node) => node.textContent === 'Hi Alice, seen it')",
    )
    shown = host.frame_evaluate(
        FRAME,
        "({title: document.querySelector('[data-testid=document-title]').textContent,"
        " user: document.querySelector('#current-user-name').textContent})",
    )
    assert shown == {"title": document_id, "user": "Alice"}


def test_the_panel_shows_no_sidebar_no_picker_and_no_dev_control(
    stack: LocalStack, site: EmbeddingSite, open_page: OpenPage
) -> None:
    host = open_site(open_page, site, panel_url(stack, new_document_id("bare"), user="Carol"))

    shown = host.frame_evaluate(
        FRAME,
        "['#sidebar', '#user-form', '#user-select', '#document-id-input', '#document-list',"
        " '#sidebar-toggle', '#bell', '.brand']"
        ".filter((selector) => document.querySelector(selector)?.checkVisibility())",
    )
    assert shown == []
    visible = host.frame_evaluate(
        FRAME,
        "['#message-list', '[data-testid=composer-input]', '#presence-list', '#threads-toggle']"
        ".map((selector) => document.querySelector(selector).checkVisibility())",
    )
    assert visible == [True, True, True, True]


def test_the_embedding_site_themes_the_panel_with_its_tokens(
    stack: LocalStack, site: EmbeddingSite, open_page: OpenPage
) -> None:
    tokens = {"accent": "#0f766e", "radius": "4px", "font": "Georgia, serif", "text": "url(x)"}
    url = panel_url(stack, new_document_id("theme"), user="Alice", **tokens)
    host = open_site(open_page, site, url)

    styles = host.frame_evaluate(
        FRAME,
        "(() => { const root = getComputedStyle(document.documentElement);"
        " return ['--docchat-accent', '--accent', '--radius', '--font', '--docchat-text']"
        ".map((name) => root.getPropertyValue(name).trim()); })()",
    )
    # A value its property does not take (text: url(x)) is ignored.
    assert styles == ["#0f766e", "#0f766e", "4px", "Georgia, serif", ""]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_panel_has_no_serious_accessibility_violations(
    stack: LocalStack, site: EmbeddingSite, open_page: OpenPage, size: str, scheme: str
) -> None:
    document_id = new_document_id("embed-axe")
    bob = open_page("bob")
    bob.open("Bob", document_id)
    bob.send("Is the beta date fixed?")
    viewport = PHONE if size == "phone" else DESKTOP
    url = panel_url(stack, document_id, user="Alice")
    host = open_site(open_page, site, url, scheme=scheme, **viewport)
    host.frame_wait_for(
        FRAME, "Bob's message", "document.querySelectorAll('[data-testid=message]').length === 1"
    )

    assert host.frame_accessibility_violations(FRAME) == []


def test_readme_screenshot_of_the_panel(
    stack: LocalStack, site: EmbeddingSite, open_page: OpenPage
) -> None:
    # A sample document, which the panel titles as the page does; no other test of this
    # module's stack touches it.
    document_id = "launch-plan"
    bob = open_page("bob")
    bob.open("Bob", document_id)
    bob.send("Beta on 3 March works for QA.")
    host = open_site(
        open_page, site, panel_url(stack, document_id, user="Alice"), width=1120, height=640
    )
    host.frame_send(FRAME, "Great, I'll update the plan.")
    host.screenshot(screenshot_path("demo-embed.png"))


def test_the_page_and_the_panel_work_under_their_content_security_policy(
    stack: LocalStack, site: EmbeddingSite, browser: Browser
) -> None:
    """Scripts from the app only, the import map by its hash, the real-time service by
    connect-src: the page goes live, and the browser reports nothing refused."""
    site.close()
    site.serve(panel_url(stack, new_document_id("csp"), user="Alice"))
    full, framed = (browser.page(name, enforce_csp=True) for name in ("csp-page", "csp-site"))
    try:
        full.goto("#doc=" + new_document_id("csp"))
        full.wait_for_selector("[data-testid=chat][data-sync=live]")
        framed.goto_url(site.origin + "/")
        framed.wait_for_selector("[data-testid=chat][data-sync=live]", frame=FRAME)
        assert (full.csp_violations(), framed.csp_violations()) == ([], [])
    finally:
        full.close()
        framed.close()


def test_a_panel_given_an_invalid_document_asks_its_site_not_the_reader_for_another(
    stack: LocalStack, open_page: OpenPage
) -> None:
    panel = open_page("invalid")
    panel.goto_url(panel_url(stack, "_reserved", user="Dan"))
    panel.wait_for(
        "the invalid link's notice",
        "document.querySelector('[data-testid=notice]').textContent.includes('valid document')",
    )
    notice = panel.evaluate("document.querySelector('[data-testid=notice]').textContent")
    assert "The site showing this panel needs to name a valid document." in notice
    assert "list" not in notice
