"""Checks every endpoint applies to what a request names, failing with the service's 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.tokens import TokenTooLong, Unauthorized
from signalr.tokens import TokenError, validate_hub_name

__all__ = [
    "MAX_GROUP_NAME_LENGTH",
    "application_hub",
    "group_name",
    "hub_name",
    "token_errors_as_http",
]

MAX_GROUP_NAME_LENGTH = 1024


def hub_name(value: str | None) -> str:
    """``value`` if it is a valid hub name: the swagger's rule, at most 128 characters."""
    return _name("hub", value)


def application_hub(hub: str, application: str | None) -> str:
    """The hub a REST call addresses: ``{application}_{hub}`` when an application is named."""
    hub = hub_name(hub)
    return hub if application is None else f"{_name('application', application)}_{hub}"


def group_name(value: str) -> str:
    """``value`` if it is a valid group name: 1 to 1024 characters, not whitespace only (the
    swagger's minLength, maxLength and pattern; azure-signalr docs/swagger/V20220601.json)."""
    if not 1 <= len(value) <= MAX_GROUP_NAME_LENGTH or value.isspace():
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            f"a group name must be 1 to {MAX_GROUP_NAME_LENGTH} characters long and not "
            "whitespace only",
            target="group",
        )
    return value


@contextmanager
def token_errors_as_http() -> Iterator[None]:
    """Turn a refused token into 401 (or 413 for an oversize one) with the reason."""
    try:
        yield
    except Unauthorized as error:
        raise ApiError(
            401,
            ErrorCode.UNAUTHORIZED,
            error.reason,
            headers={"WWW-Authenticate": _bearer_challenge(error.reason)},
        ) from None
    except TokenTooLong as error:
        raise ApiError(413, ErrorCode.PAYLOAD_TOO_LARGE, str(error)) from None


def _shown(value: str) -> str:
    """``value`` quoted for an error message, cut short: a refusal should not echo a flood."""
    return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."


def _bearer_challenge(reason: str) -> str:
    return f'Bearer error="invalid_token", error_description="{reason}"'


def _name(kind: str, value: str | None) -> str:
    if not value:
        raise ApiError(400, ErrorCode.INVALID_REQUEST, f"the {kind} name is missing", target=kind)
    try:
        return validate_hub_name(value)
    except TokenError:
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            f"invalid {kind} name {_shown(value)}: it must start with a letter, hold only "
            "letters, digits and _`,.[] and be at most 128 characters long",
            target=kind,
        ) from None
