"""The data-plane REST API, versions 2022-06-01 and v1, over one set of operations.

The two versions differ in paths and success codes only, so each route below names an
operation and the status it answers with. Every route under ``/api/hubs`` and
``/api/v1/hubs`` first checks the hub name, the ``api-version`` (2022-06-01 routes), and the
server token, whose audience must be this request's URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.registry import HubRegistry
from devstack.emulator_core.request_checks import application_hub, group_name, token_errors_as_http
from devstack.emulator_core.tokens import RequestTarget, bearer_token
from devstack.signalr.connection import ClientConnection
from devstack.signalr.emulator import EMULATOR, Emulator

__all__ = ["rest_routes"]

_V2 = "/api/hubs/{hub}"
_V1 = "/api/v1/hubs/{hub}"
#: aiohttp serves HEAD with every GET: the Management SDK checks existence with either.
_EXISTENCE = "GET"
_API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
#: ``ttl`` is an int32 number of seconds (the swagger's type), written in ASCII digits.
_TTL = re.compile(r"[0-9]{1,10}")
_MAX_TTL = 2**31 - 1
#: ``minutesToExpire`` is an int32 number of minutes, written in ASCII digits.
_MINUTES = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class RestCall:
    """One authorized REST request, with accessors that validate what it names."""

    request: web.Request
    emulator: Emulator
    hub: str

    @property
    def registry(self) -> HubRegistry[ClientConnection]:
        """The connections of the addressed hub."""
        return self.emulator.hub(self.hub)

    @property
    def group(self) -> str:
        return group_name(self.request.match_info["group"])

    @property
    def user(self) -> str:
        return self.request.match_info["user"]

    @property
    def connection_id(self) -> str:
        return self.request.match_info["connection"]

    @property
    def excluded(self) -> frozenset[str]:
        return frozenset(self.request.query.getall("excluded", ()))

    @property
    def reason(self) -> str | None:
        return self.request.query.get("reason") or None

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
            body = json.loads(await self.request.read())
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


#: An operation; what it returns, if anything, is the answer's JSON body.
Operation = Callable[[RestCall], Awaitable[dict[str, Any] | None]]


def rest_routes() -> list[web.RouteDef]:
    """Every REST route of both API versions, plus the health checks."""
    return [
        web.get("/api/health", _healthy),  # HEAD too
        web.get("/api/v1/health", _healthy),  # as Microsoft's emulator serves it
        *(
            web.route(method, path, _endpoint(operation, status, versioned=path.startswith(_V2)))
            for method, path, operation, status in _ROUTES
        ),
    ]


async def _healthy(_: web.Request) -> web.Response:
    return web.Response(status=200)


def _endpoint(
    operation: Operation, status: int, *, versioned: bool
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await operation(_authorized_call(request, versioned=versioned))
        if body is None:
            return web.Response(status=status)
        return web.json_response(body, status=status)

    return handle


def _authorized_call(request: web.Request, *, versioned: bool) -> RestCall:
    emulator = request.app[EMULATOR]
    hub = application_hub(request.match_info["hub"], request.query.get("application"))
    if versioned:
        _check_api_version(request.query.get("api-version"))
    with token_errors_as_http():
        emulator.rest_tokens.check(bearer_token(request.headers, {}), _target(request))
    return RestCall(request=request, emulator=emulator, hub=hub)


def _target(request: web.Request) -> RequestTarget:
    return RequestTarget(request.scheme, request.host, request.raw_path)


def _check_api_version(value: str | None) -> None:
    if value is None or not _API_VERSION.fullmatch(value):
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            "the api-version query parameter is required, e.g. api-version=2022-06-01",
            target="api-version",
        )


def _bad_message(message: str) -> ApiError:
    return ApiError(400, ErrorCode.INVALID_REQUEST, message, target="body")


def _not_found(code: str, what: str) -> ApiError:
    return ApiError(404, code, f"{what} does not exist")


# Operations ----------------------------------------------------------------------------------


async def generate_token(call: RestCall) -> dict[str, Any]:
    """``{"token"}`` for a client of the hub, as ``userId`` if given (2024-12-01)."""
    user = call.request.query.get("userId") or None
    minutes = call.minutes_to_expire
    return {"token": call.emulator.client_token(call.hub, user, minutes, _target(call.request))}


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


async def close_all(call: RestCall) -> None:
    call.emulator.close_connections(call.registry.everyone(call.excluded), call.reason)


async def close_group(call: RestCall) -> None:
    call.emulator.close_connections(call.registry.in_group(call.group, call.excluded), call.reason)


async def close_user(call: RestCall) -> None:
    call.emulator.close_connections(call.registry.of_user(call.user, call.excluded), call.reason)


async def close_connection(call: RestCall) -> None:
    connection = call.registry.get(call.connection_id)
    call.emulator.close_connections([connection] if connection else [], call.reason)


async def connection_exists(call: RestCall) -> None:
    if call.registry.get(call.connection_id) is None:
        raise _not_found(ErrorCode.CONNECTION_NOT_EXISTED, "the connection")


async def group_exists(call: RestCall) -> None:
    if not call.registry.has_group(call.group):
        raise _not_found(ErrorCode.GROUP_NOT_EXISTED, "the group")


async def user_exists(call: RestCall) -> None:
    if not call.registry.has_user(call.user):
        raise _not_found(ErrorCode.USER_NOT_EXISTED, "the user")


async def add_connection_to_group(call: RestCall) -> None:
    if not call.registry.add_to_group(call.group, call.connection_id):
        raise _not_found(ErrorCode.CONNECTION_TO_CHANGE_NOT_EXISTED, "the connection")


async def remove_connection_from_group(call: RestCall) -> None:
    if not call.registry.remove_from_group(call.group, call.connection_id):
        raise _not_found(ErrorCode.CONNECTION_TO_CHANGE_NOT_EXISTED, "the connection")


async def remove_connection_from_all_groups(call: RestCall) -> None:
    call.registry.remove_from_all_groups(call.connection_id)


async def add_user_to_group(call: RestCall) -> None:
    call.registry.add_user_to_group(call.group, call.user, call.ttl)


async def remove_user_from_group(call: RestCall) -> None:
    call.registry.remove_user_from_group(call.group, call.user)


async def user_in_group(call: RestCall) -> None:
    if not call.registry.user_in_group(call.group, call.user):
        raise _not_found(ErrorCode.USER_NOT_IN_GROUP, "the user's membership of the group")


async def remove_user_from_all_groups(call: RestCall) -> None:
    call.registry.remove_user_from_all_groups(call.user)


_ROUTES: list[tuple[str, str, Operation, int]] = [
    # 2022-06-01 (docs/swagger/V20220601.json), and :generateToken from 2024-12-01
    ("POST", f"{_V2}/:generateToken", generate_token, 200),
    ("POST", f"{_V2}/:send", send_to_all, 202),
    ("POST", f"{_V2}/groups/{{group}}/:send", send_to_group, 202),
    ("POST", f"{_V2}/users/{{user}}/:send", send_to_user, 202),
    ("POST", f"{_V2}/connections/{{connection}}/:send", send_to_connection, 202),
    ("POST", f"{_V2}/:closeConnections", close_all, 204),
    ("POST", f"{_V2}/groups/{{group}}/:closeConnections", close_group, 204),
    ("POST", f"{_V2}/users/{{user}}/:closeConnections", close_user, 204),
    ("DELETE", f"{_V2}/connections/{{connection}}", close_connection, 200),
    (_EXISTENCE, f"{_V2}/connections/{{connection}}", connection_exists, 200),
    (_EXISTENCE, f"{_V2}/groups/{{group}}", group_exists, 200),
    (_EXISTENCE, f"{_V2}/users/{{user}}", user_exists, 200),
    ("PUT", f"{_V2}/groups/{{group}}/connections/{{connection}}", add_connection_to_group, 200),
    (
        "DELETE",
        f"{_V2}/groups/{{group}}/connections/{{connection}}",
        remove_connection_from_group,
        200,
    ),
    ("DELETE", f"{_V2}/connections/{{connection}}/groups", remove_connection_from_all_groups, 200),
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
    ("PUT", f"{_V2}/connections/{{connection}}/groups/{{group}}", add_connection_to_group, 200),
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
    ("DELETE", f"{_V1}/connections/{{connection}}", close_connection, 202),
    (_EXISTENCE, f"{_V1}/connections/{{connection}}", connection_exists, 200),
    (_EXISTENCE, f"{_V1}/groups/{{group}}", group_exists, 200),
    (_EXISTENCE, f"{_V1}/users/{{user}}", user_exists, 200),
    ("PUT", f"{_V1}/groups/{{group}}/connections/{{connection}}", add_connection_to_group, 200),
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
