"""Webhooks for backend services: what one is, which events it may hear, which URLs and
addresses it may reach, its secret and the id each delivery carries. No I/O: resolving a
host and posting are the app's ports (:mod:`chat.app.webhooks`).

**Where a webhook may point (SSRF).** A webhook makes docchat's own network send requests
to a URL a caller chose, so the URL must not reach what only docchat can reach: outside
dev mode only https, and only addresses on the public internet (:func:`address_problem`:
not loopback, private, link-local, unique-local, unspecified, multicast, shared, reserved
or documentation space). In dev mode loopback is allowed, so that a local receiver works.
The cloud metadata and platform endpoints never are, in any mode. Hosts written as an
address in another form than the usual dotted quad (``2130706433``, ``0x7f.1``,
``0177.0.0.1``) are refused outright (:func:`url_problem`): resolvers read them as
addresses, and no real receiver is named so. The check is made on each address the host
resolves to, at registration and again before every delivery, and the delivery connects
to the address it checked (no second lookup that a rebinding DNS could answer
differently).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from chat.domain.errors import InvalidRequest
from chat.domain.messages import identifier_problem

__all__ = [
    "EVENT_TYPES",
    "MAX_ANSWER_BYTES",
    "MAX_URL_LENGTH",
    "MAX_WEBHOOK_NAME_LENGTH",
    "SECRET_PREFIX",
    "TIMEOUT_SECONDS",
    "Address",
    "Failure",
    "Webhook",
    "address_problem",
    "decode_failures_token",
    "delivery_id",
    "encode_failures_token",
    "failure_key",
    "jittered",
    "new_incarnation",
    "new_secret",
    "url_problem",
    "webhook_name_problem",
]

#: The events a webhook may subscribe to.
EVENT_TYPES = (
    "message.created",
    "message.updated",
    "message.deleted",
    "thread.resolved",
    "notification.created",
)
MAX_WEBHOOK_NAME_LENGTH = 128
#: Browsers and proxies handle URLs up to about this length everywhere.
MAX_URL_LENGTH = 2048
#: Standard Webhooks: a secret is ``whsec_`` and the base64 of 24 to 64 random bytes.
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, no secret)
_SECRET_BYTES = 32
#: A receiver has this long to answer one try (the issue's 10 s).
TIMEOUT_SECONDS = 10.0
#: Only the status matters; a receiver's answer is read up to this much and no further.
MAX_ANSWER_BYTES = 1024
#: How far each delay of the retry schedule is spread, either way, so that the retries of
#: many deliveries that failed together (a receiver's outage) do not arrive together.
JITTER = 0.2

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Never reachable, in any mode: the instance metadata services (AWS, GCP, Azure IMDS at
#: 169.254.169.254, AWS's IPv6 fd00:ec2::254; all of 169.254.0.0/16 is link-local) and
#: Azure's platform endpoint (168.63.129.16: the wire server, DNS and health probes).
_METADATA = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fd00:ec2::254/128"),
    ipaddress.ip_network("168.63.129.16/32"),
)
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: A dotted quad of plain decimal numbers: the one way a receiver's address may be written.
_DOTTED_QUAD = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
#: What inet_aton reads as an IPv4 address besides a dotted quad: 1 to 4 parts, each
#: decimal, octal (leading 0) or hexadecimal (0x).
_OTHER_IPV4_FORM = re.compile(r"(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}\.?", re.IGNORECASE)


@dataclass(frozen=True)
class Webhook:
    """A registered receiver: where it is, what it hears, and the secret deliveries are
    signed with (never logged, listed or shown again after creation). ``incarnation``
    names this registration: one deleted and registered again under the same name is
    another, whose predecessor's pending tries are dropped."""

    name: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    incarnation: str
    created_at: datetime


@dataclass(frozen=True)
class Failure:
    """A delivery that exhausted the retry schedule: its id, event, what the last try got
    (a status, or an error when no status came), how many tries and when it gave up."""

    webhook_id: str
    event_id: str
    type: str
    last_status: int | None
    last_error: str | None
    tries: int
    failed_at: datetime


def failure_key(failure: Failure) -> str:
    """The key a webhook's failures are listed by, newest first: when it gave up (hex
    milliseconds, so the text sorts as the time), then which delivery."""
    millis = int(failure.failed_at.timestamp() * 1000)
    return f"{millis:012x}{hashlib.sha256(failure.webhook_id.encode()).hexdigest()[:40]}"


_FAILURES_TOKEN = re.compile(r"f1\.(?P<key>[0-9a-f]{52})")


def encode_failures_token(key: str) -> str:
    """The ``continuationToken`` of the failures page after the one ending at ``key``."""
    return f"f1.{key}"


def decode_failures_token(token: str) -> str:
    """The key a failures token carries; :class:`InvalidRequest` if it is not one."""
    match = _FAILURES_TOKEN.fullmatch(token)
    if match is None:
        raise InvalidRequest("continuationToken is not one docchat issued for failures")
    return match["key"]


def webhook_name_problem(value: str) -> str | None:
    """Why ``value`` cannot name a webhook, or None: the rule of every id."""
    return identifier_problem(value, MAX_WEBHOOK_NAME_LENGTH)


def new_secret() -> str:
    """A new signing secret in the Standard Webhooks format."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def new_incarnation() -> str:
    """A new registration's name (see :class:`Webhook`)."""
    return secrets.token_hex(8)


def delivery_id(event_id: str, webhook_name: str) -> str:
    """The ``webhook-id`` of one event's delivery to one webhook: the same on every try and
    every time the event is processed again, so receivers can drop duplicates."""
    digest = hashlib.sha256(f"{event_id}\n{webhook_name}".encode()).digest()
    return "msg_" + base64.b32encode(digest[:20]).decode().lower()


def jittered(delay: float, spread: float) -> float:
    """``delay`` moved by ``spread`` (from -1 to 1) times :data:`JITTER` of itself."""
    return delay * (1 + JITTER * max(-1.0, min(1.0, spread)))


def url_problem(url: str, *, dev: bool) -> str | None:
    """Why ``url`` cannot be a webhook's, from its text alone, or None (its host's
    addresses are :func:`address_problem`'s)."""
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError as error:
        return f"is not a valid URL ({error})"
    schemes = ("https", "http") if dev else ("https",)
    if parts.scheme not in schemes:
        allowed = "https (http too in dev mode)" if dev else "https (http only in dev mode)"
        return f"must be {allowed}"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if parts.fragment:
        return "must not have a fragment (#...)"
    host = parts.hostname
    if _OTHER_IPV4_FORM.fullmatch(host) and not _DOTTED_QUAD.fullmatch(host):
        return f"must not write an address as {host!r}: use a host name or a dotted quad"
    return None


def address_problem(address: Address, *, dev: bool) -> str | None:
    """Why a webhook must not be delivered to ``address``, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or _nat64(address)
        if embedded is not None:
            return address_problem(embedded, dev=dev)
    if any(address in network for network in _METADATA):
        return f"{address} is a link-local or cloud metadata address, never allowed"
    if address.is_loopback:
        return None if dev else f"{address} is a loopback address (allowed in dev mode only)"
    if address.is_global and not address.is_multicast:
        return None
    return f"{address} is a {_kind(address)} address, not on the public internet"


def _nat64(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64 gateway would reach for ``address`` (RFC 6052's well-known
    prefix), if it is one."""
    if address not in _NAT64:
        return None
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _kind(address: Address) -> str:
    if address.is_unspecified:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL:
        return "unique-local"
    if address.is_private:
        return "private"
    return "reserved"
