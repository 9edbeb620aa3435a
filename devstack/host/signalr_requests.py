"""What an upstream request says, read as the SignalR extension's SignalRRequestResolver reads it
(azure-sdk-for-net sdk/signalr/Microsoft.Azure.WebJobs.Extensions.SignalRService/src/
TriggerBindings/Resolver/SignalRRequestResolver.cs, Utils/SignalRTriggerUtils.cs,
Config/SignatureValidationOptionsSetup.cs).

The invocation context a function receives is the extension's ``InvocationContext`` as
Newtonsoft serializes it for an out-of-process worker: PascalCase keys in declaration order,
nulls included (Context/InvocationContext.cs).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

from devstack.host.http_messages import by_name

__all__ = [
    "CATEGORY_HEADER",
    "CONNECTION_ID_HEADER",
    "EVENT_HEADER",
    "HUB_HEADER",
    "access_keys",
    "invocation_context",
    "signature_matches",
]

CONNECTION_ID_HEADER = "X-ASRS-Connection-Id"
HUB_HEADER = "X-ASRS-Hub"
CATEGORY_HEADER = "X-ASRS-Category"
EVENT_HEADER = "X-ASRS-Event"
USER_ID_HEADER = "X-ASRS-User-Id"
CLAIMS_HEADER = "X-ASRS-User-Claims"
QUERY_HEADER = "X-ASRS-Client-Query"
SIGNATURE_HEADER = "X-ASRS-Signature"
#: .NET keeps these in the request's content headers, out of ``Headers``.
_CONTENT_HEADERS = frozenset(
    name.lower()
    for name in (
        "Allow",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Location",
        "Content-MD5",
        "Content-Range",
        "Content-Type",
        "Expires",
        "Last-Modified",
    )
)


def invocation_context(request: web.Request) -> dict[str, Any] | None:
    """The context of an upstream request (``Arguments`` and ``Error`` not yet known); None
    without a connection id, which the extension requires."""
    headers = request.headers
    connection_id = headers.get(CONNECTION_ID_HEADER)
    if not connection_id:
        return None
    return {
        "Arguments": None,
        "Error": None,
        "Category": headers.get(CATEGORY_HEADER),
        "Event": headers.get(EVENT_HEADER),
        "Hub": headers.get(HUB_HEADER),
        "ConnectionId": connection_id,
        "UserId": headers.get(USER_ID_HEADER),
        "Headers": {
            name: value
            for name, value in by_name(headers, ",".join).items()
            if name.lower() not in _CONTENT_HEADERS
        },
        "Query": _query(headers.get(QUERY_HEADER)),
        "Claims": _claims(headers.get(CLAIMS_HEADER)),
    }


def access_keys(settings: Mapping[str, str], name: str) -> list[str] | None:
    """The AccessKey the connection setting ``name`` holds, as a list; None when it holds
    none, for the extension does not validate identity-based connections (a connection
    string without a key, or only ``name__serviceUri``: the extension's
    ServiceEndpoint reads the section). A missing setting gives no keys: every signature
    is then refused."""
    connection_string = settings.get(name)
    if connection_string is None:
        return None if f"{name}__serviceUri" in settings else []
    # The extension's own reading (TryGetAccessKey), lenient where the SDK's parser is not.
    for part in connection_string.split(";"):
        name_part, equals, value = part.partition("=")
        if equals and name_part.strip().lower() == "accesskey":
            return [value.strip()]
    return None


def signature_matches(headers: Mapping[str, str], connection_id: str, keys: list[str]) -> bool:
    """Whether ``X-ASRS-Signature`` holds the connection id's signature under a key: entries
    split on ``,`` untrimmed, compared ignoring case (ValidateSignature)."""
    presented = {entry.lower() for entry in headers.get(SIGNATURE_HEADER, "").split(",") if entry}
    for key in keys:
        digest = hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
        if key and f"sha256={digest}" in presented:
            return True
    return False


def _query(text: str | None) -> dict[str, str] | None:
    """QueryHelpers.ParseQuery: names ignore case, repeated values joined with ``,``."""
    if not text:
        return None
    pairs = parse_qsl(text.removeprefix("?"), keep_blank_values=True)
    return by_name(MultiDict(pairs), ",".join)


def _claims(text: str | None) -> dict[str, str] | None:
    """GetClaimDictionary: ``type: value`` entries split on ``,``; an entry that is not
    exactly two parts around ``": "`` is dropped; the first value of a type wins."""
    if not text:
        return None
    claims: dict[str, str] = {}
    for entry in filter(None, text.split(",")):
        parts = [part for part in entry.split(": ") if part]
        if len(parts) == 2:
            claims.setdefault(parts[0].strip(), parts[1].strip())
    return claims
