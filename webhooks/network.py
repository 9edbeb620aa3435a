"""Resolving receivers' hosts and posting signed tries to them, over httpx.

**To the checked address only.** :class:`chat.app.webhooks.WebhookService` resolves the
host and checks every address before each try; :meth:`HttpNetwork.send` then connects to
the address it was given, not to the name, so a DNS answer that changes between the check
and the connection (rebinding) is never used. The request still names the host: in the
``Host`` header, and for https as the TLS server name (httpcore's ``sni_hostname``
extension), against which the certificate is verified. No connection is kept for another
try: a pooled connection is keyed by address, and two hosts behind one address must not
share one TLS session. Proxies from the environment are ignored (the proxy, not docchat,
would resolve the name).

**Bounded.** No redirect is followed (a 3xx is a failed try); the answer is read up to
:data:`~chat.domain.webhooks.MAX_ANSWER_BYTES`; a try has
:data:`~chat.domain.webhooks.TIMEOUT_SECONDS` to connect, send and be answered, and a
host's resolution :data:`RESOLVE_SECONDS` (the system resolver has no time limit of its
own, so it runs on a worker thread that is abandoned when late).

**Signed** per Standard Webhooks with the ``standardwebhooks`` package: ``webhook-id``,
``webhook-timestamp`` (this try's time, so a receiver's replay window holds for a retry a
day later) and ``webhook-signature``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LateAnswer
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook as Signer

from chat.app.webhooks import Answer, Outgoing
from chat.domain.webhooks import MAX_ANSWER_BYTES, TIMEOUT_SECONDS, Address

__all__ = ["RESOLVE_SECONDS", "HttpNetwork"]

RESOLVE_SECONDS = 5.0
# httpx logs every request's URL at INFO (httpcore its steps at DEBUG), and a receiver's URL
# may carry its credentials in the query: neither reaches the logs.
for _chatty in ("httpx", "httpcore"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)
_USER_AGENT = "docchat-webhooks/1"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class HttpNetwork:
    """:class:`chat.app.webhooks.Network` over the system resolver and one httpx client;
    ``verify`` as httpx takes it (the public CAs by default)."""

    def __init__(
        self, *, timeout: float = TIMEOUT_SECONDS, verify: ssl.SSLContext | bool = True
    ) -> None:
        self._timeout = timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            verify=verify,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._resolving = ThreadPoolExecutor(4, thread_name_prefix="webhook-resolve")

    def addresses(self, host: str) -> list[Address]:
        lookup = self._resolving.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
        try:
            found = lookup.result(timeout=RESOLVE_SECONDS)
        except (OSError, LateAnswer):
            return []
        unique = dict.fromkeys(str(entry[4][0]).split("%")[0] for entry in found)
        return [ipaddress.ip_address(text) for text in unique]

    def send(self, outgoing: Outgoing) -> Answer:
        parts = urlsplit(outgoing.url)
        now = datetime.now(UTC)
        headers = {
            "Host": parts.netloc,
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            "webhook-id": outgoing.webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Signer(outgoing.secret).sign(
                outgoing.webhook_id, now, outgoing.payload
            ),
        }
        extensions: dict[str, object] = {}
        if parts.scheme == "https":
            extensions["sni_hostname"] = parts.hostname
        target = _pinned(outgoing.url, outgoing.address)
        try:
            return self._post(target, outgoing, headers, extensions)
        except httpx.TimeoutException:
            return Answer(None, f"no answer within {self._timeout:g} s")
        except httpx.HTTPError as error:
            return Answer(None, f"{type(error).__name__}: could not reach the receiver")

    def _post(
        self,
        target: str,
        outgoing: Outgoing,
        headers: dict[str, str],
        extensions: dict[str, object],
    ) -> Answer:
        deadline = time.monotonic() + self._timeout
        with self._client.stream(
            "POST", target, content=outgoing.payload, headers=headers, extensions=extensions
        ) as response:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= MAX_ANSWER_BYTES or time.monotonic() > deadline:
                    break
            return Answer(response.status_code)


def _pinned(url: str, address: Address) -> str:
    """``url`` with its host replaced by ``address`` (and the port made explicit)."""
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    host = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
