"""Ids an output binding hands the extension, which puts them in a REST path.

The extension escapes an id into one segment of the service's path (``users/{id}/:send``),
but percent-escaping leaves dots alone, and URL normalisation resolves ``.`` and ``..`` as
steps (RFC 3986 5.2.4): a send to user ``..`` would go to ``/api/hubs/{hub}/:send``, the
whole hub. docchat's id rule refuses such ids at the edge; this makes sure none reaches an
output binding another way, as :func:`realtime.webpubsub_rest.refuse_path_steps` does for
REST mode.
"""

from __future__ import annotations

__all__ = ["not_a_path_step"]


def not_a_path_step(value: str) -> str:
    """``value``; ValueError if it is ``.`` or ``..``."""
    if value in (".", ".."):
        raise ValueError(f"{value!r} cannot be an id: it would name another resource")
    return value
