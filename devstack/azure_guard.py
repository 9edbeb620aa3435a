"""Local conveniences refuse to run in Azure.

App Service sets ``WEBSITE_INSTANCE_ID`` on every instance. The dev host trusts a single
shared key and serves files from disk, the SignalR emulator and the Cosmos server accept
well-known keys: none of them belongs in a deployed app.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["AZURE_MARKER", "refusal_in_azure"]

AZURE_MARKER = "WEBSITE_INSTANCE_ID"


def refusal_in_azure(program: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """A one-line refusal when running in Azure, else None."""
    if not environ.get(AZURE_MARKER):
        return None
    return (
        f"{program} refuses to run in Azure ({AZURE_MARKER} is set): "
        "it is for local development only"
    )
