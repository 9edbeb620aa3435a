"""The data-plane REST API, api-version 2024-12-01, with the statuses the SDKs accept.

Statuses are those azure-messaging-webpubsubservice 1.3.0 and @azure/web-pubsub 1.2.0 check
(``_operations.py``, ``generated/operations/webPubSub.js``): sends 202, closes and removals
204, adding and granting 200, existence checks 200 or 404. The 2024-12-01 TypeSpec says 204
for sends, but both SDKs fail on it. Every route checks the hub name, that ``api-version`` is
one in which the service offers the operation (:data:`API_VERSIONS`), and the server token,
whose audience must be this request's URL. Errors are the
service's ``ErrorDetail`` with ``x-ms-error-code`` (:mod:`devstack.emulator_core.errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devstack.emulator_core import rest_calls
from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.request_checks import group_name, hub_name
from devstack.webpubsub.auth import client_url
from devstack.webpubsub.connection import Connection
from devstack.webpubsub.emulator import EMULATOR, WebPubSubEmulator
from devstack.webpubsub.payload import Payload, PayloadError
from devstack.webpubsub.permissions import PERMISSIONS

__all__ = ["API_VERSIONS", "rest_routes"]

_HUB = "/api/hubs/{hub}"
#: ``minutesToExpire`` of ``:generateToken``: at least 1, default 60.
_DEFAULT_MINUTES = 60


@dataclass(frozen=True)
class RestCall(rest_calls.RestCall[WebPubSubEmulator, Connection]):
    """A Web PubSub REST call: also a permission, the connection it concerns and a payload."""

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
            raise rest_calls.not_found(ErrorCode.CONNECTION_TO_CHANGE_NOT_EXISTED, "the connection")
        return connection

    async def payload(self) -> Payload:
        try:
            return Payload.from_body(
                await self.request.read(), self.request.headers.get("Content-Type", "")
            )
        except PayloadError as error:
            raise ApiError(400, ErrorCode.INVALID_REQUEST, str(error), target="body") from None


def rest_routes() -> list[web.RouteDef]:
    """Every REST route, plus the health check (HEAD and GET answer 200)."""
    return [
        web.get("/api/health", rest_calls.healthy),
        *(
            web.route(
                method,
                _HUB + path,
                rest_calls.endpoint(operation, status, _authorizer(operation)),
            )
            for method, path, operation, status in _ROUTES
        ),
    ]


def _authorizer(operation: rest_calls.Operation[RestCall]) -> Callable[[web.Request], RestCall]:
    versions = API_VERSIONS.get(operation, _STABLE)

    def authorized_call(request: web.Request) -> RestCall:
        emulator = request.app[EMULATOR]
        hub = hub_name(request.match_info["hub"])
        rest_calls.check_call(request, emulator.rest_tokens, versions)
        return RestCall(request=request, emulator=emulator, hub=hub)

    return authorized_call


# Operations ----------------------------------------------------------------------------------


async def send_to_all(call: RestCall) -> None:
    call.emulator.send_to_all(call.hub, await call.payload(), call.excluded)


async def send_to_group(call: RestCall) -> None:
    call.emulator.send_to_group(call.hub, call.group, await call.payload(), call.excluded)


async def send_to_user(call: RestCall) -> None:
    call.emulator.send_to_user(call.hub, call.user, await call.payload())


async def send_to_connection(call: RestCall) -> None:
    call.emulator.send_to_connection(call.hub, call.connection_id, await call.payload())


async def remove_connection_from_group(call: RestCall) -> None:
    """204 whether or not the connection is there (SignalR answers 404 when it is not)."""
    call.registry.remove_from_group(call.group, call.connection_id)


async def add_user_to_group(call: RestCall) -> None:
    """Every connection the user has now joins (404 without any, as Microsoft's preview
    emulator answers); unlike SignalR, later connections of the user do not."""
    group, connections = call.group, call.registry.of_user(call.user)
    if not connections:
        raise rest_calls.not_found(ErrorCode.USER_NOT_EXISTED, "the user")
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
        raise rest_calls.not_found(ErrorCode.CONNECTION_NOT_EXISTED, "the permission")


async def generate_token(call: RestCall) -> dict[str, Any]:
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
    return {"token": token}


#: The stable versions of the data-plane API (azure-rest-api-specs
#: specification/webpubsub/data-plane/WebPubSub/stable/*); every operation emulated here is in
#: all of them...
_STABLE = ("2021-10-01", "2022-11-01", "2023-07-01", "2024-01-01", "2024-12-01")
#: ...but this one, which 2022-11-01 added (stable/2021-10-01 has no
#: WebPubSub_RemoveConnectionFromAllGroups). Previews are refused (devstack/README.md).
API_VERSIONS: dict[rest_calls.Operation[RestCall], tuple[str, ...]] = {
    rest_calls.remove_connection_from_all_groups: _STABLE[1:],
}

_ROUTES: list[tuple[str, str, rest_calls.Operation[RestCall], int]] = [
    ("POST", "/:send", send_to_all, 202),
    ("POST", "/groups/{group}/:send", send_to_group, 202),
    ("POST", "/users/{user}/:send", send_to_user, 202),
    ("POST", "/connections/{connection}/:send", send_to_connection, 202),
    ("POST", "/:closeConnections", rest_calls.close_all, 204),
    ("POST", "/groups/{group}/:closeConnections", rest_calls.close_group, 204),
    ("POST", "/users/{user}/:closeConnections", rest_calls.close_user, 204),
    ("DELETE", "/connections/{connection}", rest_calls.close_connection, 204),
    ("HEAD", "/connections/{connection}", rest_calls.connection_exists, 200),
    ("HEAD", "/groups/{group}", rest_calls.group_exists, 200),
    ("HEAD", "/users/{user}", rest_calls.user_exists, 200),
    ("PUT", "/groups/{group}/connections/{connection}", rest_calls.add_connection_to_group, 200),
    ("DELETE", "/groups/{group}/connections/{connection}", remove_connection_from_group, 204),
    (
        "DELETE",
        "/connections/{connection}/groups",
        rest_calls.remove_connection_from_all_groups,
        204,
    ),
    ("PUT", "/users/{user}/groups/{group}", add_user_to_group, 200),
    ("DELETE", "/users/{user}/groups/{group}", remove_user_from_group, 204),
    ("DELETE", "/users/{user}/groups", remove_user_from_all_groups, 204),
    ("PUT", "/permissions/{permission}/connections/{connection}", grant_permission, 200),
    ("DELETE", "/permissions/{permission}/connections/{connection}", revoke_permission, 204),
    ("HEAD", "/permissions/{permission}/connections/{connection}", has_permission, 200),
    ("POST", "/:generateToken", generate_token, 200),
]
