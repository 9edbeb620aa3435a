"""A requests session that reads the environment once.

With ``trust_env`` on, requests reads the environment on every call: proxies and
``NO_PROXY`` (``os.environ`` walked three times), a CA bundle, and ``~/.netrc``. A Functions
worker's environment holds every app setting (about 80 variables in the local host, more in
Azure), so that cost ~0.2 ms of CPU per call, several per send (bench/README.md). A worker's
environment does not change while it runs (Azure restarts the worker to apply new app
settings), so :class:`Session` reads what it says of each origin once. It never reads
``~/.netrc``: the Azure SDKs and signalr/ sign each request themselves, and a netrc entry for
the host would replace their ``Authorization`` header.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

if TYPE_CHECKING:
    from requests.sessions import _Settings  # the stubs' name for what requests returns

__all__ = ["ORIGINS_REMEMBERED", "Session"]

#: Far more origins than one worker calls (its Cosmos DB account and regions, its storage,
#: its real-time service), and a bound all the same.
ORIGINS_REMEMBERED = 64


class Session(requests.Session):
    """A requests session that takes proxies, ``NO_PROXY`` and a CA bundle from the
    environment once per origin, as requests would take them on every call (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # read below, once; and no ~/.netrc

    def merge_environment_settings(
        self,
        url: Any,
        proxies: Any,
        stream: Any,
        verify: Any,
        cert: Any,
    ) -> _Settings:
        # As requests merges them: a proxy the call names wins over the environment's.
        proxies = {**_environment_proxies(_origin(str(url))), **(proxies or {})}
        if verify is True or verify is None:
            verify = _environment_ca_bundle() or verify
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@functools.lru_cache(maxsize=ORIGINS_REMEMBERED)
def _environment_proxies(origin: str) -> dict[str, str]:
    """The proxies the environment names for ``origin``: none if ``NO_PROXY`` covers it."""
    return requests.utils.get_environ_proxies(origin)


@functools.cache
def _environment_ca_bundle() -> str | None:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
