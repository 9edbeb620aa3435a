"""The page with App Service Authentication (``DOCCHAT_AUTH=appservice``): when ``/.auth/me``
says nobody is signed in (the dev host stands in for it here, as App Service answers it with
401), the page and the panel offer "Sign in" to App Service's Microsoft Entra sign-in, coming
back where the reader was, and start no chat; the panel opens it in a new tab, since Entra's
pages refuse to be framed."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from devstack.host.server import AUTH_ME_SETTING
from devstack.stack import LocalStack
from tests.e2e.scenario import OpenPage

SIGN_IN = (
    "(() => { const link = document.querySelector('[data-testid=sign-in-link]');"
    " return {shown: link.checkVisibility(), href: link.getAttribute('href'),"
    " target: link.target, chat: document.querySelector('#app').checkVisibility()}; })()"
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The stack with appservice sign-in: App Service says Authentication is on
    (WEBSITE_AUTH_ENABLED), and /.auth/me has nobody."""
    overrides = {
        "DOCCHAT_AUTH": "appservice",
        "WEBSITE_AUTH_ENABLED": "True",
        AUTH_ME_SETTING: "signed-out",
    }
    with LocalStack(
        log_dir=tmp_path_factory.mktemp("devstack-logs"), settings_overrides=overrides
    ) as running:
        yield running


@pytest.mark.parametrize(
    ("path", "target"),
    [("/#doc=launch-plan", ""), ("/embed?document=launch-plan#doc=launch-plan", "_blank")],
)
def test_nobody_signed_in_is_offered_sign_in_and_no_chat(
    stack: LocalStack, open_page: OpenPage, path: str, target: str
) -> None:
    page = open_page("reader")
    page.goto_url(stack.base_url + path)
    page.wait_for(
        "the sign-in link",
        "document.querySelector('[data-testid=sign-in-link]')?.checkVisibility()",
    )

    shown = page.evaluate(SIGN_IN)
    assert (shown["shown"], shown["chat"], shown["target"]) == (True, False, target)
    href = urlsplit(shown["href"])
    assert href.path == "/.auth/login/aad"
    assert parse_qs(href.query)["post_login_redirect_uri"] == [path]
    assert page.accessibility_violations() == []
