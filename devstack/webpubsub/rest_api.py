"""The data-plane REST API, api-version 2024-12-01, with the statuses the SDKs accept.

Statuses are those azure-messaging-webpubsubservice 1.3.0 and @azure/web-pubsub 1.2.0 check
(``_operations.py``, ``generated/operations/webPubSub.js``): sends 202, closes and removals
204, adding and granting 200, existence checks 200 or 404. The 2024-12-01 TypeSpec says 204
for sends, but both SDKs fail on it. Every route checks the hub name, that ``api-version`` is
given, and the server token, whose audience must be this request's URL. Errors are the
service's ``ErrorDetail`` with ``x-ms-error-code`` (:mod:`devstack.emulator_core.errors`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.registry import HubRegistry
from devstack.emulator_core.request_checks import group_name, hub_name, token_errors_as_http
from devstack.emulator_core.tokens import RequestTarget, bearer_token
from devstack.webpubsub.auth import client_url
from devstack.webpubsub.connection import Connection
from devstack.webpubsub.emulator import EMULATOR, WebPubSubEmulator
from devstack.webpubsub.payload import Payload, PayloadError
from devstack.webpubsub.permissions import PERMISSIONS

__all__ = ["rest_routes"]

_HUB = "/api/hubs/{hub}"
_API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
#: ``minutesToExpire`` of ``:generateToken``: at least 1, default 60.
_DEFAULT_MINUTES = 60


@dataclass(frozen=True)
class RestCall:
    """One authorized REST request, with accessors that validate what it names."""

    request: web.Request
    emulator: WebPubSubEmulator
    hub: str

    @property
    def registry(self) -> HubRegistry[Connection]:
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
    def permission(self) -> tuple[str, str | None]:
        permission = self.request.match_info["permission"]
        if permission not in PERMISSIONS:
            raise ApiError(
                400,
                ErrorCode.INVALID_REQUEST,
                f"permission must be one of {', '.join(PERMISSIONS)}",
                target="permission",
            )
        target = self.request.query.get("targetName")
        return permission, group_name(target) if target is not None else None

    def connection(self) -> Connection:
        """The named connection; 404 if it is not connected."""
        connection = self.registry.get(self.connection_id)
        if connection is None:
            raise _not_found(ErrorCode.CONNECTION_TO_CHANGE_NOT_EXISTED, "the connection")
        return connection

    async def payload(self) -> Payload:
        try:
            return Payload.from_body(
                await self.request.read(), self.request.headers.get("Content-Type", "")
            )
        except PayloadError as error:
            raise ApiError(400, ErrorCode.INVALID_REQUEST, str(error), target="body") from None


Operation = Callable[[RestCall], Awaitable[web.Response | None]]


def rest_routes() -> list[web.RouteDef]:
    """Every REST route, plus the health check (HEAD and GET answer 200)."""
    return [
        web.get("/api/health", _healthy),
        *(
            web.route(method, _HUB + path, _endpoint(operation, status))
            for method, path, operation, status in _ROUTES
        ),
    ]


async def _healthy(_: web.Request) -> web.Response:
    return web.Response(status=200)


def _endpoint(
    operation: Operation, status: int
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        answer = await operation(_authorized_call(request))
        return answer if answer is not None else web.Response(status=status)

    return handle


def _authorized_call(request: web.Request) -> RestCall:
    emulator = request.app[EMULATOR]
    hub = hub_name(request.match_info["hub"])
    version = request.query.get("api-version")
    if version is None or not _API_VERSION.fullmatch(version):
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            "the api-version query parameter is required, e.g. api-version=2024-12-01",
            target="api-version",
        )
    target = RequestTarget(request.scheme, request.host, request.raw_path)
    with token_errors_as_http():
        emulator.tokens.check_server_token(bearer_token(request.headers, {}), target)
    return RestCall(request=request, emulator=emulator, hub=hub)


def _not_found(code: str, what: str) -> ApiError:
    return ApiError(404, code, f"{what} does not exist")


# Operations ----------------------------------------------------------------------------------


async def send_to_all(call: RestCall) -> None:
    call.emulator.send_to_all(call.hub, await call.payload(), call.excluded)


async def send_to_group(call: RestCall) -> None:
    call.emulator.send_to_group(call.hub, call.group, await call.payload(), call.excluded)


async def send_to_user(call: RestCall) -> None:
    call.emulator.send_to_user(call.hub, call.user, await call.payload())


async def send_to_connection(call: RestCall) -> None:
    call.emulator.send_to_connection(call.hub, call.connection_id, await call.payload())


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
    call.registry.remove_from_group(call.group, call.connection_id)


async def remove_connection_from_all_groups(call: RestCall) -> None:
    call.registry.remove_from_all_groups(call.connection_id)


async def add_user_to_group(call: RestCall) -> None:
    """Every connection the user has now joins (404 without any, as Microsoft's preview
    emulator answers); unlike SignalR, later connections of the user do not."""
    group, connections = call.group, call.registry.of_user(call.user)
    if not connections:
        raise _not_found(ErrorCode.USER_NOT_EXISTED, "the user")
    for connection in connections:
        call.registry.add_to_group(group, connection.connection_id)


async def remove_user_from_group(call: RestCall) -> None:
    group = call.group
    for connection in call.registry.of_user(call.user):
        call.registry.remove_from_group(group, connection.connection_id)


async def remove_user_from_all_groups(call: RestCall) -> None:
    for connection in call.registry.of_user(call.user):
        call.registry.remove_from_all_groups(connection.connection_id)


async def grant_permission(call: RestCall) -> None:
    call.connection().permissions.grant(*call.permission)


async def revoke_permission(call: RestCall) -> None:
    call.connection().permissions.revoke(*call.permission)


async def has_permission(call: RestCall) -> None:
    connection = call.registry.get(call.connection_id)
    if connection is None or not connection.permissions.has(*call.permission):
        raise _not_found(ErrorCode.CONNECTION_NOT_EXISTED, "the permission")


async def generate_token(call: RestCall) -> web.Response:
    """``{"token": ...}`` for the client URL of this hub on the host the call came to."""
    query = call.request.query
    minutes_text = query.get("minutesToExpire", str(_DEFAULT_MINUTES))
    if not minutes_text.isdigit() or int(minutes_text) < 1:
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            "minutesToExpire must be at least 1",
            target="minutesToExpire",
        )
    groups = [group_name(group) for group in query.getall("group", ())]
    token = call.emulator.tokens.client_token(
        client_url(call.request.scheme, call.request.host, call.hub),
        query.get("userId") or None,
        list(query.getall("role", ())),
        groups,
        int(minutes_text),
    )
    return web.json_response({"token": token})


_ROUTES: list[tuple[str, str, Operation, int]] = [
    ("POST", "/:send", send_to_all, 202),
    ("POST", "/groups/{group}/:send", send_to_group, 202),
    ("POST", "/users/{user}/:send", send_to_user, 202),
    ("POST", "/connections/{connection}/:send", send_to_connection, 202),
    ("POST", "/:closeConnections", close_all, 204),
    ("POST", "/groups/{group}/:closeConnections", close_group, 204),
    ("POST", "/users/{user}/:closeConnections", close_user, 204),
    ("DELETE", "/connections/{connection}", close_connection, 204),
    ("HEAD", "/connections/{connection}", connection_exists, 200),
    ("HEAD", "/groups/{group}", group_exists, 200),
    ("HEAD", "/users/{user}", user_exists, 200),
    ("PUT", "/groups/{group}/connections/{connection}", add_connection_to_group, 200),
    ("DELETE", "/groups/{group}/connections/{connection}", remove_connection_from_group, 204),
    ("DELETE", "/connections/{connection}/groups", remove_connection_from_all_groups, 204),
    ("PUT", "/users/{user}/groups/{group}", add_user_to_group, 200),
    ("DELETE", "/users/{user}/groups/{group}", remove_user_from_group, 204),
    ("DELETE", "/users/{user}/groups", remove_user_from_all_groups, 204),
    ("PUT", "/permissions/{permission}/connections/{connection}", grant_permission, 200),
    ("DELETE", "/permissions/{permission}/connections/{connection}", revoke_permission, 204),
    ("HEAD", "/permissions/{permission}/connections/{connection}", has_permission, 200),
    ("POST", "/:generateToken", generate_token, 200),
]
