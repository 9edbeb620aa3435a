"""JSON from clients, parsed with the nesting limit the real services' parsers have.

Python's ``json`` recurses once per level and raises ``RecursionError`` (not ``ValueError``)
about 1,000 levels down, so a hostile body would escape every ``except ValueError`` around a
parse. The services parse with .NET readers whose default depth limit is 64 (dotnet/runtime
System.Text.Json ``JsonReaderOptions`` and Newtonsoft.Json ``JsonSerializerSettings``
DefaultMaxDepth, both 64): deeper input is a read error there, and :class:`TooDeep`, a
``ValueError``, here. MessagePack-CSharp's untrusted-data limit (``MessagePackSecurity.
UntrustedData.MaximumObjectGraphDepth``, 500), which ASP.NET Core's MessagePack hub protocol
uses, bounds MessagePack values the same way (:func:`check_depth`).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JSON_MAX_DEPTH", "MESSAGEPACK_MAX_DEPTH", "TooDeep", "check_depth", "loads"]

JSON_MAX_DEPTH = 64
MESSAGEPACK_MAX_DEPTH = 500


class TooDeep(ValueError):
    """The value nests deeper than its parser allows."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"the value is nested deeper than {max_depth} levels")


def loads(data: str | bytes, *, max_depth: int = JSON_MAX_DEPTH, **options: Any) -> Any:
    """``json.loads(data, **options)``; ValueError for invalid JSON, TooDeep for JSON nested
    deeper than ``max_depth``."""
    try:
        value = json.loads(data, **options)
    except RecursionError:
        raise TooDeep(max_depth) from None
    return check_depth(value, max_depth)


def check_depth(value: Any, max_depth: int) -> Any:
    """``value`` itself, or TooDeep if its arrays and objects nest deeper than ``max_depth``
    (a scalar is depth 0, ``[]`` depth 1). Walks without recursion."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        if depth + 1 > max_depth:
            raise TooDeep(max_depth)
        pending.extend((child, depth + 1) for child in children)
    return value
