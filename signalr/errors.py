"""Exceptions raised by the SignalR client library, one per way a call can fail."""

from __future__ import annotations

__all__ = [
    "NotFoundError",
    "PayloadTooLargeError",
    "RetriesExhaustedError",
    "ServiceError",
    "ServiceUnavailableError",
    "SignalRError",
]


class SignalRError(Exception):
    """Base of every error this library raises."""


class PayloadTooLargeError(SignalRError, ValueError):
    """The request body exceeds the service's limit; it was not sent."""


class ServiceUnavailableError(SignalRError):
    """The service could not be reached or kept failing after every retry."""


class ServiceError(SignalRError):
    """The service answered with an error status; carries its error code and message."""

    def __init__(self, status_code: int, error_code: str | None, message: str) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.message = message
        code = f" {error_code}" if error_code else ""
        super().__init__(f"SignalR service answered {status_code}{code}: {message}")


class NotFoundError(ServiceError):
    """The connection, user or group named in the call does not exist (404)."""


class RetriesExhaustedError(ServiceError, ServiceUnavailableError):
    """The service answered 429 or 5xx, after whatever retries the policy allowed.

    A :class:`ServiceError` (it carries the last answer's status, code and message) and a
    :class:`ServiceUnavailableError` (the work was not done), so a handler for either fits.
    """
