"""HTTP errors in the service's shape: a JSON ``ErrorDetail`` body and ``x-ms-error-code``.

The 404 codes are the ones the service and Microsoft's SDKs use (the management SDK reads
``x-ms-error-code`` to tell "not there" from a failure); the others follow the same
``Severity.Subject.Problem`` style.
"""

from __future__ import annotations

import json

from aiohttp import web

__all__ = ["ERROR_CODE_HEADER", "ApiError", "ErrorCode", "error_response"]

ERROR_CODE_HEADER = "x-ms-error-code"


class ErrorCode:
    """The ``x-ms-error-code`` values the emulator sends."""

    CONNECTION_NOT_EXISTED = "Warning.Connection.NotExisted"
    GROUP_NOT_EXISTED = "Warning.Group.NotExisted"
    USER_NOT_EXISTED = "Warning.User.NotExisted"
    USER_NOT_IN_GROUP = "Info.User.NotInGroup"
    CONNECTION_TO_CHANGE_NOT_EXISTED = "Error.Connection.NotExisted"
    INVALID_REQUEST = "Error.Request.Invalid"
    UNAUTHORIZED = "Error.Unauthorized"
    PAYLOAD_TOO_LARGE = "Error.Request.TooLarge"
    NOT_FOUND = "Error.Route.NotFound"
    METHOD_NOT_ALLOWED = "Error.Route.MethodNotAllowed"
    CONNECTION_TOKEN_UNKNOWN = "Error.ConnectionToken.NotExisted"  # noqa: S105


class ApiError(Exception):
    """Raised by a handler to answer with an error; the middleware renders it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = headers or {}


def error_response(error: ApiError) -> web.Response:
    """The response for ``error``: ``{code, message, target, details, inner}`` and the header."""
    body: dict[str, object] = {
        "code": error.code,
        "message": error.message,
        "target": error.target,
        "details": [],
        "inner": None,
    }
    return web.Response(
        status=error.status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers={ERROR_CODE_HEADER: error.code, **error.headers},
    )
