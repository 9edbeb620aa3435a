"""What a generic output binding (every type the azure-functions library does not convert,
such as ``signalR``) receives from the value a function set, as JSON text.

The worker encodes the value with ``GenericBinding.encode`` (azure-functions-python-worker,
``azure_functions_worker/bindings/generic.py``) and ``datum_as_proto``
(``bindings/datumdef.py``): ``str`` and ``bytes`` go as they are, ``dict`` and ``list`` as
JSON, numbers as numbers (a ``bool`` as the int 0 or 1, since it is an int). Whatever the
annotation said: the worker does not consult it here. Any other type fails the invocation.
"""

from __future__ import annotations

import json

__all__ = ["encode_generic", "returned_value"]


def encode_generic(binding_type: str, value: object) -> str:
    """The text the binding ``binding_type`` is handed for ``value``; TypeError if none."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode()
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return json.dumps(value)
    raise TypeError(
        f'unable to encode outgoing TypedData: unsupported type "{binding_type}" for Python '
        f'type "{type(value).__name__}"'
    )


def returned_value(function_name: str, value: object) -> object:
    """What the host receives for ``value`` returned through a generic binding's implicit
    output (a ``signalRTrigger``'s result): the same encodings, decoded as the host decodes
    them (azure-functions-host GrpcMessageConversionExtensions.ToObject: JSON becomes a JSON
    value, bytes stay bytes); ``None`` is no value. TypeError for any other type."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return json.loads(encode_generic(f"$return of {function_name}", value))
