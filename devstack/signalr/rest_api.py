"""The data-plane REST API, versions 2022-06-01 and v1, over one set of operations.

The two versions differ in paths and success codes only, so each route below names an
operation and the status it answers with. Every route under ``/api/hubs`` and
``/api/v1/hubs`` first checks the hub name, the ``api-version`` (``/api/hubs`` routes: one
in which the service offers the operation, :data:`API_VERSIONS`), and the server token, whose
audience must be this request's URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devstack import json_limits
from devstack.emulator_core import rest_calls
from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.request_checks import application_hub
from devstack.signalr.connection import ClientConnection
from devstack.signalr.emulator import EMULATOR, Emulator

__all__ = ["API_VERSIONS", "rest_routes"]

_V2 = "/api/hubs/{hub}"
_V1 = "/api/v1/hubs/{hub}"
#: aiohttp serves HEAD with every GET: the Management SDK checks existence with either.
_EXISTENCE = "GET"
#: ``ttl`` is an int32 number of seconds (the swagger's type), written in ASCII digits.
_TTL = re.compile(r"[0-9]{1,10}")
_MAX_TTL = 2**31 - 1
#: ``minutesToExpire`` is an int32 number of minutes, written in ASCII digits.
_MINUTES = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class RestCall(rest_calls.RestCall[Emulator, ClientConnection]):
    """A SignalR REST call: also a message to send, a ``ttl`` and ``minutesToExpire``."""

    @property
    def ttl(self) -> int | None:
        value = self.request.query.get("ttl")
        if value is None:
            return None
        if not _TTL.fullmatch(value) or int(value) > _MAX_TTL:
            raise ApiError(
                400,
                ErrorCode.INVALID_REQUEST,
                f"ttl must be a whole number of seconds from 0 to {_MAX_TTL}",
                target="ttl",
            )
        return int(value)

    @property
    def minutes_to_expire(self) -> int:
        """``minutesToExpire`` of ``:generateToken``: whole minutes, 60 when absent."""
        value = self.request.query.get("minutesToExpire", "60")
        if not _MINUTES.fullmatch(value) or int(value) < 1:
            raise ApiError(
                400,
                ErrorCode.INVALID_REQUEST,
                "minutesToExpire must be a whole number of minutes, at least 1",
                target="minutesToExpire",
            )
        return int(value)

    async def message(self) -> tuple[str, list[Any]]:
        """The body's ``target`` and ``arguments`` (names match case-insensitively, as in .NET)."""
        try:
            body = json_limits.loads(await self.request.read())
        except ValueError:
            raise _bad_message("the body must be JSON: {target, arguments}") from None
        if not isinstance(body, dict):
            raise _bad_message("the body must be a JSON object: {target, arguments}")
        fields = {key.lower(): value for key, value in body.items()}
        target, arguments = fields.get("target"), fields.get("arguments", [])
        if not isinstance(target, str) or not target:
            raise _bad_message("the message needs a non-empty string 'target'")
        if not isinstance(arguments, list):
            raise _bad_message("'arguments' must be a JSON array")
        return target, arguments


def rest_routes() -> list[web.RouteDef]:
    """Every REST route of both API versions, plus the health checks."""
    return [
        web.get("/api/health", rest_calls.healthy),  # HEAD too
        web.get("/api/v1/health", rest_calls.healthy),  # as Microsoft's emulator serves it
        *(
            web.route(
                method, path, rest_calls.endpoint(operation, status, _authorizer(path, operation))
            )
            for method, path, operation, status in _ROUTES
        ),
    ]


def _authorizer(
    path: str, operation: rest_calls.Operation[RestCall]
) -> Callable[[web.Request], RestCall]:
    """Checks for a route: ``/api/hubs`` routes also need an ``api-version`` that offers the
    operation (the v1 paths take none)."""
    versions = API_VERSIONS.get(operation, _DATED) if path.startswith(_V2) else None

    def authorized_call(request: web.Request) -> RestCall:
        emulator = request.app[EMULATOR]
        hub = application_hub(request.match_info["hub"], request.query.get("application"))
        rest_calls.check_call(request, emulator.rest_tokens, versions)
        return RestCall(request=request, emulator=emulator, hub=hub)

    return authorized_call


def _bad_message(message: str) -> ApiError:
    return ApiError(400, ErrorCode.INVALID_REQUEST, message, target="body")


# Operations ----------------------------------------------------------------------------------


async def generate_token(call: RestCall) -> dict[str, Any]:
    """``{"token"}`` for a client of the hub, as ``userId`` if given (2024-12-01)."""
    user = call.request.query.get("userId") or None
    minutes, target = call.minutes_to_expire, rest_calls.request_target(call.request)
    return {"token": call.emulator.client_token(call.hub, user, minutes, target)}


async def send_to_all(call: RestCall) -> None:
    target, arguments = await call.message()
    call.emulator.send_to_all(call.hub, target, arguments, call.excluded)


async def send_to_group(call: RestCall) -> None:
    target, arguments = await call.message()
    call.emulator.send_to_group(call.hub, call.group, target, arguments, call.excluded)


async def send_to_user(call: RestCall) -> None:
    target, arguments = await call.message()
    call.emulator.send_to_user(call.hub, call.user, target, arguments)


async def send_to_connection(call: RestCall) -> None:
    target, arguments = await call.message()
    call.emulator.send_to_connection(call.hub, call.connection_id, target, arguments)


async def remove_connection_from_group(call: RestCall) -> None:
    """404 when the connection is not in the hub (Web PubSub answers 204 either way)."""
    if not call.registry.remove_from_group(call.group, call.connection_id):
        raise rest_calls.not_found(ErrorCode.CONNECTION_TO_CHANGE_NOT_EXISTED, "the connection")


async def add_user_to_group(call: RestCall) -> None:
    call.registry.add_user_to_group(call.group, call.user, call.ttl)


async def remove_user_from_group(call: RestCall) -> None:
    call.registry.remove_user_from_group(call.group, call.user)


async def user_in_group(call: RestCall) -> None:
    if not call.registry.user_in_group(call.group, call.user):
        raise rest_calls.not_found(
            ErrorCode.USER_NOT_IN_GROUP, "the user's membership of the group"
        )


async def remove_user_from_all_groups(call: RestCall) -> None:
    call.registry.remove_user_from_all_groups(call.user)


#: The dated versions of the REST API (azure-signalr docs/swagger: V20220601.json,
#: V20230701.md, v20241201.md); every operation emulated here is in all three...
_DATED = ("2022-06-01", "2023-07-01", "2024-12-01")
#: ...but these, which came later. 2022-06-01 has no ``:generateToken``: it appears in the
#: 2023-07-01 and 2024-12-01 documents only. Versions without a published swagger (a
#: 2022-11-01 example exists, no document) and previews are refused (devstack/README.md).
API_VERSIONS: dict[rest_calls.Operation[RestCall], tuple[str, ...]] = {
    generate_token: ("2023-07-01", "2024-12-01"),
}

_ROUTES: list[tuple[str, str, rest_calls.Operation[RestCall], int]] = [
    # 2022-06-01 (docs/swagger/V20220601.json), and :generateToken from 2023-07-01
    ("POST", f"{_V2}/:generateToken", generate_token, 200),
    ("POST", f"{_V2}/:send", send_to_all, 202),
    ("POST", f"{_V2}/groups/{{group}}/:send", send_to_group, 202),
    ("POST", f"{_V2}/users/{{user}}/:send", send_to_user, 202),
    ("POST", f"{_V2}/connections/{{connection}}/:send", send_to_connection, 202),
    ("POST", f"{_V2}/:closeConnections", rest_calls.close_all, 204),
    ("POST", f"{_V2}/groups/{{group}}/:closeConnections", rest_calls.close_group, 204),
    ("POST", f"{_V2}/users/{{user}}/:closeConnections", rest_calls.close_user, 204),
    ("DELETE", f"{_V2}/connections/{{connection}}", rest_calls.close_connection, 200),
    (_EXISTENCE, f"{_V2}/connections/{{connection}}", rest_calls.connection_exists, 200),
    (_EXISTENCE, f"{_V2}/groups/{{group}}", rest_calls.group_exists, 200),
    (_EXISTENCE, f"{_V2}/users/{{user}}", rest_calls.user_exists, 200),
    (
        "PUT",
        f"{_V2}/groups/{{group}}/connections/{{connection}}",
        rest_calls.add_connection_to_group,
        200,
    ),
    (
        "DELETE",
        f"{_V2}/groups/{{group}}/connections/{{connection}}",
        remove_connection_from_group,
        200,
    ),
    (
        "DELETE",
        f"{_V2}/connections/{{connection}}/groups",
        rest_calls.remove_connection_from_all_groups,
        200,
    ),
    ("PUT", f"{_V2}/users/{{user}}/groups/{{group}}", add_user_to_group, 200),
    ("DELETE", f"{_V2}/users/{{user}}/groups/{{group}}", remove_user_from_group, 204),
    (_EXISTENCE, f"{_V2}/users/{{user}}/groups/{{group}}", user_in_group, 200),
    ("DELETE", f"{_V2}/users/{{user}}/groups", remove_user_from_all_groups, 204),
    # Aliases Microsoft's emulator serves too (Emulator/Common/SignalRServiceWebApiDefinition.cs):
    # sends without ":send", and a connection's group addressed from the connection.
    ("POST", _V2, send_to_all, 202),
    ("POST", f"{_V2}/groups/{{group}}", send_to_group, 202),
    ("POST", f"{_V2}/users/{{user}}", send_to_user, 202),
    ("POST", f"{_V2}/connections/{{connection}}", send_to_connection, 202),
    (
        "PUT",
        f"{_V2}/connections/{{connection}}/groups/{{group}}",
        rest_calls.add_connection_to_group,
        200,
    ),
    (
        "DELETE",
        f"{_V2}/connections/{{connection}}/groups/{{group}}",
        remove_connection_from_group,
        200,
    ),
    # v1: no :send suffix; GET (and HEAD) for existence; 202 for user groups, closing
    ("POST", _V1, send_to_all, 202),
    ("POST", f"{_V1}/users/{{user}}", send_to_user, 202),
    ("POST", f"{_V1}/connections/{{connection}}", send_to_connection, 202),
    ("POST", f"{_V1}/groups/{{group}}", send_to_group, 202),
    ("DELETE", f"{_V1}/connections/{{connection}}", rest_calls.close_connection, 202),
    (_EXISTENCE, f"{_V1}/connections/{{connection}}", rest_calls.connection_exists, 200),
    (_EXISTENCE, f"{_V1}/groups/{{group}}", rest_calls.group_exists, 200),
    (_EXISTENCE, f"{_V1}/users/{{user}}", rest_calls.user_exists, 200),
    (
        "PUT",
        f"{_V1}/groups/{{group}}/connections/{{connection}}",
        rest_calls.add_connection_to_group,
        200,
    ),
    (
        "DELETE",
        f"{_V1}/groups/{{group}}/connections/{{connection}}",
        remove_connection_from_group,
        200,
    ),
    (_EXISTENCE, f"{_V1}/groups/{{group}}/users/{{user}}", user_in_group, 200),
    ("PUT", f"{_V1}/groups/{{group}}/users/{{user}}", add_user_to_group, 202),
    ("DELETE", f"{_V1}/groups/{{group}}/users/{{user}}", remove_user_from_group, 202),
    ("DELETE", f"{_V1}/users/{{user}}/groups", remove_user_from_all_groups, 200),
]
