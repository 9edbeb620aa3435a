"""Checking a webhook delivery: that docchat sent it, with the secret the webhook got when it
was created, per Standard Webhooks, on the ``standardwebhooks`` package (the one docchat
signs with). Its replay window is the package's (five minutes either way of the
``webhook-timestamp``, which docchat sets at each try, so a late retry verifies too)."""

from __future__ import annotations

from collections.abc import Mapping

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _NotVerified

from docchat_client.errors import WebhookVerificationError
from docchat_client.models import WebhookEvent

__all__ = ["verify_webhook"]


def verify_webhook(headers: Mapping[str, str], body: bytes | str, secret: str) -> WebhookEvent:
    """The event a delivery carries, ``{type, timestamp, data}`` with its ``webhook-id``,
    once its signature holds for ``secret`` (``whsec_...``); else raise
    :class:`~docchat_client.errors.WebhookVerificationError`.

    ``body`` must be the request body exactly as received (bytes, before any JSON parsing);
    ``headers`` any mapping of the request's headers (names in any case).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        event = Webhook(secret).verify(body, lowered)
    except _NotVerified as error:
        raise WebhookVerificationError("invalid_signature", str(error)) from None
    except (ValueError, EmptyWebhookSecretError) as error:  # a bad secret, a body not JSON
        raise WebhookVerificationError("invalid_payload", str(error)) from None
    if not isinstance(event, dict) or not {"type", "timestamp", "data"} <= event.keys():
        raise WebhookVerificationError("invalid_payload", "not a {type, timestamp, data} event")
    return WebhookEvent(lowered["webhook-id"], event["type"], event["timestamp"], event["data"])
