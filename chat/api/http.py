"""HTTP without a framework: requests in, ``(status, JSON body, headers)`` out, and a
request's JSON body read safely.

:mod:`functions.edge` converts the Functions host's objects to and from these, so
everything here runs and is tested without azure.functions. Errors become responses in
:mod:`chat.api.failures`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chat.domain.errors import InvalidJson, PayloadTooLarge, UnsupportedMediaType

__all__ = ["Request", "Response", "json_object"]

#: No field docchat reads is a number this long; Python refuses past 4,300 digits anyway.
MAX_INTEGER_DIGITS = 20


@dataclass(frozen=True)
class Request:
    """An HTTP request as the endpoints need it. Header names are lower case."""

    method: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    route_params: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def of(
        cls,
        method: str,
        headers: Mapping[str, str],
        params: Mapping[str, str],
        route_params: Mapping[str, str],
        body: bytes,
    ) -> Request:
        """A request whose header names are folded to lower case, as HTTP compares them."""
        folded = {name.lower(): value for name, value in headers.items()}
        return cls(method.upper(), folded, dict(params), dict(route_params), body)


@dataclass(frozen=True)
class Response:
    """Status, a JSON-serialisable body (None for no body) and extra headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        """The body as UTF-8 JSON, or nothing."""
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()

    @property
    def content_type(self) -> str | None:
        """The Content-Type of :attr:`content`, if there is any."""
        return None if self.body is None else "application/json; charset=utf-8"


def json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object: 415 unless declared as JSON, 413 over ``max_bytes``.

    Requiring ``Content-Type: application/json`` keeps cross-site HTML forms out: a browser
    sends that type only after a CORS preflight, which other origins do not pass.
    """
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("send the body as JSON, with Content-Type: application/json")
    if len(request.body) > max_bytes:
        raise PayloadTooLarge(f"the body is {len(request.body)} bytes; at most {max_bytes} fit")
    if not request.body.strip():
        raise InvalidJson("the body is empty: send a JSON object")
    try:
        value = json.loads(request.body.decode("utf-8"), parse_int=_small_int)
    except UnicodeDecodeError:
        raise InvalidJson("the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise InvalidJson(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidJson("the body nests arrays or objects too deeply") from None
    except _NumberTooLong:
        raise InvalidJson(
            f"the body holds a number longer than {MAX_INTEGER_DIGITS} digits"
        ) from None
    if not isinstance(value, dict):
        raise InvalidJson(f"the body must be a JSON object, not {_json_kind(value)}")
    return value


class _NumberTooLong(ValueError):
    pass


def _small_int(digits: str) -> int:
    """Parse a JSON integer, refusing long ones before Python spends time converting them."""
    if len(digits) > MAX_INTEGER_DIGITS:
        raise _NumberTooLong
    return int(digits)


def _json_kind(value: object) -> str:
    kinds = {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return kinds.get(type(value), "null")
