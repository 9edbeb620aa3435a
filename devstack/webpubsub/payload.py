"""A message's data as the JSON subprotocols carry it: a ``dataType`` and its ``data``.

REST bodies and event handler answers name their type by ``Content-Type``: ``text/plain`` is
``text``, ``application/json`` is ``json`` (the parsed value), ``application/octet-stream``
is ``binary`` (base64 in JSON) (Azure docs reference-json-webpubsub-subprotocol, "Case 1-3").
A message is encoded once per send, whoever receives it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from devstack import json_limits

__all__ = ["CONTENT_TYPES", "DATA_TYPES", "Payload", "PayloadError"]

#: dataType -> the Content-Type upstream hears and REST bodies carry.
CONTENT_TYPES = {
    "text": "text/plain",
    "json": "application/json",
    "binary": "application/octet-stream",
}
DATA_TYPES = {content_type: data_type for data_type, content_type in CONTENT_TYPES.items()}


class PayloadError(ValueError):
    """The data does not match its type."""


@dataclass(frozen=True)
class Payload:
    """One message's data: ``data_type`` and ``data`` as JSON would hold it."""

    data_type: str
    data: Any

    @classmethod
    def from_client(cls, data_type: str | None, data: Any) -> Payload:
        """What a client sent (``dataType`` defaults to json); PayloadError if it mismatches."""
        kind = data_type or "json"
        if kind not in CONTENT_TYPES:
            raise PayloadError(f"dataType must be text, json or binary, not {kind!r}")
        if kind != "json" and not isinstance(data, str):
            raise PayloadError(f"data of dataType {kind} must be a string")
        if kind == "binary":
            _decoded(data)
        return cls(kind, data)

    @classmethod
    def from_body(cls, body: bytes, content_type: str) -> Payload:
        """A REST body or an event handler's answer; PayloadError for a type it cannot carry."""
        media_type = content_type.partition(";")[0].strip().lower()
        kind = DATA_TYPES.get(media_type)
        if kind is None:
            raise PayloadError(f"Content-Type must be one of {', '.join(DATA_TYPES)}")
        if kind == "binary":
            return cls(kind, base64.b64encode(body).decode())
        try:
            text = body.decode()
            return cls("json", json_limits.loads(text)) if kind == "json" else cls("text", text)
        except (UnicodeDecodeError, ValueError):
            raise PayloadError(f"the body is not valid {media_type or 'text'}") from None

    def body(self) -> tuple[bytes, str]:
        """The payload as an HTTP body and its Content-Type: what an event handler hears."""
        if self.data_type == "binary":
            data = _decoded(self.data)
        elif self.data_type == "json":
            data = json.dumps(self.data, separators=(",", ":")).encode()
        else:
            data = str(self.data).encode()
        return data, CONTENT_TYPES[self.data_type]


def _decoded(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("binary data must be base64") from None
