"""The Azure Functions SignalR output binding's payloads, and how to carry them out by REST.

A function bound to ``signalR`` output writes a JSON string: one object or a list of them,
each either a message or a group action. :func:`parse_output` reads that JSON exactly as the
extension does (azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.SignalRService:
Bindings/SignalROutputConverter.cs, SignalRMessage.cs, SignalRGroupAction.cs), and
:func:`carry_out` performs it as its SignalRAsyncCollector.cs does, through a
:class:`~signalr.rest.HubClient`, so REST mode and any emulation of the binding share one path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from signalr.errors import NotFoundError

if TYPE_CHECKING:  # only carry_out needs the REST client; functions that emit JSON don't
    from signalr.rest import HubClient

__all__ = [
    "OutputError",
    "OutputItem",
    "SignalRGroupAction",
    "SignalRMessage",
    "carry_out",
    "dump_output",
    "parse_output",
]

#: The JSON names the extension reads, by their lower-case form: Newtonsoft matches property
#: names ignoring case, and ignores every other name (``user_id`` routes nothing).
_FIELDS = {
    "target": "target",
    "arguments": "arguments",
    "connectionid": "connection_id",
    "userid": "user_id",
    "groupname": "group_name",
    "action": "action",
}
#: GroupAction's members, by name and by number, as Newtonsoft's StringEnumConverter reads them.
_ACTIONS: dict[object, str] = {"add": "add", "remove": "remove", "removeall": "removeAll"}
_ACTIONS.update({0: "add", 1: "remove", 2: "removeAll"})
#: What the service answers when adding a connection that is not connected; the Management
#: SDK takes it as success (azure-signalr RestHubLifetimeManager.AddToGroupAsync).
_CONNECTION_NOT_EXISTED = "Error.Connection.NotExisted"


class OutputError(ValueError):
    """The output is not what the extension can carry out; the invocation fails."""


class _BindingModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )

    def to_json(self) -> str:
        """The binding's JSON: camelCase, without unset routing fields."""
        return self.model_dump_json(by_alias=True, exclude_none=True)


class SignalRMessage(_BindingModel):
    """Invoke ``target`` with ``arguments`` on clients.

    ``target`` and ``arguments`` are both required (``[JsonRequired]`` in SignalRMessage.cs).
    Routing precedence, as in the extension: connection, else user, else group, else all; an
    empty id counts as none.
    """

    target: str = Field(min_length=1)
    arguments: list[Any]
    connection_id: str | None = None
    user_id: str | None = None
    group_name: str | None = None


class SignalRGroupAction(_BindingModel):
    """Add or remove a connection or user to or from a group; ``removeAll`` empties a user's.

    A connection id wins over a user id. ``removeAll`` for a connection does nothing: the
    extension's SignalRAsyncCollector.cs has no such case, and fails nothing either.
    """

    action: Literal["add", "remove", "removeAll"]
    group_name: str | None = None
    connection_id: str | None = None
    user_id: str | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _action_as_the_enum_converter_reads_it(cls, value: object) -> object:
        key = value.lower() if isinstance(value, str) else value
        if isinstance(key, bool) or not isinstance(key, str | int):
            return value
        return _ACTIONS.get(key, value)

    @model_validator(mode="after")
    def _names_whom_and_where(self) -> SignalRGroupAction:
        # The checks AzureSignalRClient.cs makes before calling the service.
        if not (self.connection_id or self.user_id):
            raise ValueError("ConnectionId and UserId cannot be null or empty together")
        if self.action != "removeAll" and not self.group_name:
            raise ValueError(f"{self.action} needs a groupName")
        return self


OutputItem = SignalRMessage | SignalRGroupAction


def parse_output(payload: str | bytes) -> list[OutputItem]:
    """Read what a function wrote to a ``signalR`` output binding.

    An object with both ``target`` and ``arguments`` is a message, else one with an ``action``
    is a group action (SignalROutputConverter.cs tries them in that order); anything else,
    or an item that does not hold together, raises :class:`OutputError` naming the fault.
    """
    try:
        raw = json.loads(payload)
    except ValueError as error:
        raise OutputError(f"the signalR output is not JSON: {error}") from None
    items = raw if isinstance(raw, list) else [raw]
    return [_item(position, entry) for position, entry in enumerate(items, start=1)]


def dump_output(items: Iterable[OutputItem]) -> str:
    """The JSON string a function sets on its ``signalR`` output binding."""
    return "[" + ",".join(item.to_json() for item in items) + "]"


def carry_out(client: HubClient, items: Iterable[OutputItem]) -> None:
    """Perform each item, in order, through the REST API, as the extension does."""
    for item in items:
        if isinstance(item, SignalRMessage):
            _send(client, item)
        else:
            _apply(client, item)


def _item(position: int, entry: object) -> OutputItem:
    if not isinstance(entry, dict):
        raise OutputError(f"signalR output item {position} is not a JSON object")
    fields = _known_fields(entry)
    try:
        if fields.get("target") is not None and fields.get("arguments") is not None:
            return SignalRMessage.model_validate(fields)
        if fields.get("action") is not None:
            return SignalRGroupAction.model_validate(fields)
    except ValueError as error:
        raise OutputError(f"signalR output item {position}: {error}") from None
    raise OutputError(
        f"signalR output item {position} is neither a message (target and arguments) "
        "nor a group action (action)"
    )


def _known_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in entry.items():
        field = _FIELDS.get(name.lower())
        if field is not None and (field not in fields or name == to_camel(field)):
            fields[field] = value
    if "target" in fields and "arguments" in fields:
        fields.pop("action", None)  # a message, whatever else it says
    elif "action" in fields:
        fields.pop("target", None)
        fields.pop("arguments", None)
    return fields


def _send(client: HubClient, message: SignalRMessage) -> None:
    if message.connection_id:
        client.send_to_connection(message.connection_id, message.target, message.arguments)
    elif message.user_id:
        client.send_to_user(message.user_id, message.target, message.arguments)
    elif message.group_name:
        client.send_to_group(message.group_name, message.target, message.arguments)
    else:
        client.send_to_all(message.target, message.arguments)


def _apply(client: HubClient, action: SignalRGroupAction) -> None:
    group = action.group_name or ""
    if action.connection_id:
        if action.action == "add":
            _add_connection(client, group, action.connection_id)
        elif action.action == "remove":
            client.remove_connection_from_group(group, action.connection_id)
    elif action.action == "add":
        client.add_user_to_group(group, action.user_id or "")
    elif action.action == "remove":
        client.remove_user_from_group(group, action.user_id or "")
    else:
        client.remove_user_from_all_groups(action.user_id or "")


def _add_connection(client: HubClient, group: str, connection_id: str) -> None:
    try:
        client.add_connection_to_group(group, connection_id)
    except NotFoundError as error:
        if error.error_code != _CONNECTION_NOT_EXISTED:
            raise
