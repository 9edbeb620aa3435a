"""What both emulators' data-plane REST APIs share: an authorized call and the accessors that
validate what it names, routing an operation to an aiohttp handler, the health check, the
``api-version`` check, and the operations both services answer alike (closing connections,
existence checks, adding a connection to a group, removing one from every group).

Each emulator keeps its own routes, statuses, token check and the operations whose meaning
differs between SignalR and Web PubSub (sends, user groups, removing a connection from one
group); those build on :class:`RestCall` and take it as their argument.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from aiohttp import web

from devstack.emulator_core.entra import RestTokens
from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.registry import HubRegistry, Member
from devstack.emulator_core.request_checks import group_name, token_errors_as_http
from devstack.emulator_core.tokens import RequestTarget, bearer_token

__all__ = [
    "HubService",
    "Operation",
    "RestCall",
    "add_connection_to_group",
    "check_api_version",
    "check_call",
    "close_all",
    "close_connection",
    "close_group",
    "close_user",
    "connection_exists",
    "endpoint",
    "group_exists",
    "healthy",
    "not_found",
    "remove_connection_from_all_groups",
    "request_target",
    "user_exists",
]

C = TypeVar("C", bound=Member)
E = TypeVar("E", bound="HubService[Any]")
Call = TypeVar("Call", bound="RestCall[Any, Any]")


class HubService(Protocol[C]):
    """What the shared operations need of an emulator."""

    def hub(self, name: str) -> HubRegistry[C]: ...

    def close_connections(self, connections: Collection[C], reason: str | None) -> None: ...


@dataclass(frozen=True)
class RestCall(Generic[E, C]):
    """One authorized REST request, with accessors that validate what it names."""

    request: web.Request
    emulator: E
    hub: str

    @property
    def registry(self) -> HubRegistry[C]:
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


#: An operation; what it returns, if anything, is the answer's JSON body.
Operation = Callable[[Call], Awaitable[dict[str, Any] | None]]


def endpoint(
    operation: Operation[Call], status: int, authorize: Callable[[web.Request], Call]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler that authorizes a request, runs ``operation`` and answers ``status``."""

    async def handle(request: web.Request) -> web.Response:
        body = await operation(authorize(request))
        if body is None:
            return web.Response(status=status)
        return web.json_response(body, status=status)

    return handle


async def healthy(_: web.Request) -> web.Response:
    """The health check: 200 to GET and HEAD."""
    return web.Response(status=200)


def request_target(request: web.Request) -> RequestTarget:
    """What a server token's audience must name: this request's URL."""
    return RequestTarget(request.scheme, request.host, request.raw_path)


def check_call(request: web.Request, tokens: RestTokens, versions: Sequence[str] | None) -> None:
    """What every REST call passes before its operation runs: an ``api-version`` that offers
    the operation (None: the path takes none), then the caller's bearer token."""
    if versions is not None:
        check_api_version(request.query.get("api-version"), versions)
    with token_errors_as_http():
        tokens.check(bearer_token(request.headers, {}), request_target(request))


def check_api_version(value: str | None, versions: Sequence[str]) -> None:
    """A 400 unless ``api-version`` is one of ``versions``, those in which the service offers
    the operation (each emulator's table, from the published swaggers)."""
    if value is None:
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            f"the api-version query parameter is required, e.g. api-version={versions[-1]}",
            target="api-version",
        )
    if value not in versions:
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            f"api-version {value[:40]!r} does not offer this operation; it is in "
            f"{', '.join(versions)}",
            target="api-version",
        )


def not_found(code: str, what: str) -> ApiError:
    return ApiError(404, code, f"{what} does not exist")


# Operations both services answer alike --------------------------------------------------------


async def close_all(call: RestCall[Any, Any]) -> None:
    call.emulator.close_connections(call.registry.everyone(call.excluded), call.reason)


async def close_group(call: RestCall[Any, Any]) -> None:
    call.emulator.close_connections(call.registry.in_group(call.group, call.excluded), call.reason)


async def close_user(call: RestCall[Any, Any]) -> None:
    call.emulator.close_connections(call.registry.of_user(call.user, call.excluded), call.reason)


async def close_connection(call: RestCall[Any, Any]) -> None:
    connection = call.registry.get(call.connection_id)
    call.emulator.close_connections([connection] if connection else [], call.reason)


async def connection_exists(call: RestCall[Any, Any]) -> None:
    if call.registry.get(call.connection_id) is None:
        raise not_found(ErrorCode.CONNECTION_NOT_EXISTED, "the connection")


async def group_exists(call: RestCall[Any, Any]) -> None:
    if not call.registry.has_group(call.group):
        raise not_found(ErrorCode.GROUP_NOT_EXISTED, "the group")


async def user_exists(call: RestCall[Any, Any]) -> None:
    if not call.registry.has_user(call.user):
        raise not_found(ErrorCode.USER_NOT_EXISTED, "the user")


async def add_connection_to_group(call: RestCall[Any, Any]) -> None:
    if not call.registry.add_to_group(call.group, call.connection_id):
        raise not_found(ErrorCode.CONNECTION_TO_CHANGE_NOT_EXISTED, "the connection")


async def remove_connection_from_all_groups(call: RestCall[Any, Any]) -> None:
    call.registry.remove_from_all_groups(call.connection_id)
