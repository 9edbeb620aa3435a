"""Fixtures for the browser tests: the whole local stack and one Chromium, per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.stack import LocalStack
from tests.e2e.browser import Browser, Page
from tests.e2e.scenario import OpenPage


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Cosmos DB, the SignalR emulator and the dev host, fresh (and empty) for the module."""
    with LocalStack(log_dir=tmp_path_factory.mktemp("devstack-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(stack: LocalStack) -> Iterator[Browser]:
    """One headless Chromium for the module: starting it is the slowest step."""
    driver = Browser(stack.base_url)
    yield driver
    driver.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """Opens named tabs (each its own browser context) and closes them after the test.

    A test whose pages threw an uncaught exception fails here, even if it saw what it wanted.
    """
    opened: list[Page] = []

    def open_one(
        name: str,
        *,
        width: int = 1120,
        height: int = 660,
        color_scheme: str = "light",
        touch: bool = False,
    ) -> Page:
        page = browser.page(
            name, width=width, height=height, color_scheme=color_scheme, touch=touch
        )
        opened.append(page)
        return page

    yield open_one
    errors = {page.name: page.page_errors() for page in opened}
    for page in opened:
        page.close()
    thrown = {name: found for name, found in errors.items() if found}
    if thrown:
        pytest.fail(f"uncaught errors in the page: {thrown}")
