"""The hub handshake: the client names its protocol and version, the service says yes or why not.

The request is always JSON text ending with 0x1e, whatever protocol follows; anything after
the separator already belongs to the chosen protocol. Version 2 of either protocol adds the
ack and sequence messages of stateful reconnect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from devstack import json_limits
from devstack.signalr.protocol import PROTOCOLS, RECORD_SEPARATOR, HubProtocol, ProtocolError

__all__ = [
    "MAX_HANDSHAKE_BYTES",
    "SUPPORTED_VERSIONS",
    "Handshake",
    "handshake_error",
    "handshake_ok",
    "read_handshake",
]

SUPPORTED_VERSIONS = frozenset({1, 2})
#: A handshake request is a few dozen bytes; more without a separator is not a handshake.
MAX_HANDSHAKE_BYTES = 4096


@dataclass(frozen=True)
class Handshake:
    """An accepted handshake request."""

    protocol: HubProtocol
    version: int

    @property
    def supports_stateful_reconnect(self) -> bool:
        """Version 2 and later carry the ack and sequence messages."""
        return self.version >= 2


def read_handshake(buffer: bytes) -> tuple[Handshake, bytes] | None:
    """Parse the handshake at the start of ``buffer``.

    Returns the handshake and the bytes after it, or None while the separator has not arrived.
    Raises :class:`ProtocolError` with the message to send back for a refused handshake.
    """
    end = buffer.find(RECORD_SEPARATOR)
    if end < 0:
        if len(buffer) > MAX_HANDSHAKE_BYTES:
            raise ProtocolError("the handshake request is too long or lacks its 0x1e separator")
        return None
    return _parse(buffer[:end]), buffer[end + 1 :]


def handshake_ok() -> bytes:
    """The handshake response that accepts the client."""
    return b"{}" + RECORD_SEPARATOR


def handshake_error(message: str) -> bytes:
    """The handshake response that refuses the client, saying why."""
    return json.dumps({"error": message}).encode() + RECORD_SEPARATOR


def _parse(record: bytes) -> Handshake:
    try:
        request = json_limits.loads(record)
    except ValueError:
        raise ProtocolError("the handshake request is not valid JSON") from None
    if not isinstance(request, dict):
        raise ProtocolError("the handshake request must be a JSON object")
    name, version = request.get("protocol"), request.get("version")
    if not isinstance(name, str) or not isinstance(version, int) or isinstance(version, bool):
        raise ProtocolError(
            "the handshake request needs a string 'protocol' and an integer 'version'"
        )
    protocol = PROTOCOLS.get(name)
    if protocol is None:
        raise ProtocolError(f"The protocol '{name}' is not supported.")
    if version not in SUPPORTED_VERSIONS:
        raise ProtocolError(
            f"The server does not support version {version} of the '{name}' protocol."
        )
    return Handshake(protocol=protocol, version=version)
