"""The Azure Functions SignalR output binding's payloads, and how to carry them out by REST.

A function bound to ``signalR`` output writes a JSON string: one object or a list of them,
each either a message or a group action. The models here read and write exactly that JSON,
and :func:`carry_out` performs it through a :class:`~signalr.rest.HubClient`, so REST mode
and any emulation of the binding share one path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic.alias_generators import to_camel

if TYPE_CHECKING:  # only carry_out needs the REST client; functions that emit JSON don't
    from signalr.rest import HubClient

__all__ = [
    "OutputItem",
    "SignalRGroupAction",
    "SignalRMessage",
    "carry_out",
    "dump_output",
    "parse_output",
]


class _BindingModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )

    def to_json(self) -> str:
        """The binding's JSON: camelCase, without unset routing fields."""
        return self.model_dump_json(by_alias=True, exclude_none=True)


class SignalRMessage(_BindingModel):
    """Invoke ``target`` with ``arguments`` on clients.

    Routing precedence, as in the extension: connection, else user, else group, else all.
    """

    target: str = Field(min_length=1)
    arguments: list[Any] = Field(default_factory=list)
    connection_id: str | None = None
    user_id: str | None = None
    group_name: str | None = None


class SignalRGroupAction(_BindingModel):
    """Add or remove a connection or user to or from a group; ``removeAll`` empties a user's."""

    action: Literal["add", "remove", "removeAll"]
    group_name: str | None = None
    connection_id: str | None = None
    user_id: str | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _action_ignores_case(cls, value: object) -> object:
        names = {"add": "add", "remove": "remove", "removeall": "removeAll"}
        return names.get(value.lower(), value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _names_whom_and_where(self) -> SignalRGroupAction:
        if self.action == "removeAll":
            # The extension routes a connectionId first and has no removeAll for one, so it
            # fails such an action at run time; failing it here says why sooner.
            if not self.user_id or self.connection_id:
                raise ValueError("removeAll needs a userId and no connectionId")
            return self
        if not (self.connection_id or self.user_id):
            raise ValueError(f"{self.action} needs a connectionId or a userId")
        if not self.group_name:
            raise ValueError(f"{self.action} needs a groupName")
        return self


OutputItem = SignalRMessage | SignalRGroupAction
_ITEMS = TypeAdapter(list[dict[str, Any]] | dict[str, Any])


def parse_output(payload: str | bytes) -> list[OutputItem]:
    """Read what a function wrote to a ``signalR`` output binding.

    An object with an ``action`` is a group action, any other a message. Raises
    :class:`pydantic.ValidationError` naming the faulty field.
    """
    raw = _ITEMS.validate_json(payload)
    items = raw if isinstance(raw, list) else [raw]
    return [_item(entry) for entry in items]


def dump_output(items: Iterable[OutputItem]) -> str:
    """The JSON string a function sets on its ``signalR`` output binding."""
    return "[" + ",".join(item.to_json() for item in items) + "]"


def carry_out(client: HubClient, items: Iterable[OutputItem]) -> None:
    """Perform each item, in order, through the REST API."""
    for item in items:
        if isinstance(item, SignalRMessage):
            _send(client, item)
        else:
            _apply(client, item)


def _item(entry: dict[str, Any]) -> OutputItem:
    if "action" in entry:
        return SignalRGroupAction.model_validate(entry)
    return SignalRMessage.model_validate(entry)


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
            client.add_connection_to_group(group, action.connection_id)
        else:
            client.remove_connection_from_group(group, action.connection_id)
    elif action.user_id:
        if action.action == "add":
            client.add_user_to_group(group, action.user_id)
        elif action.action == "remove":
            client.remove_user_from_group(group, action.user_id)
        else:
            client.remove_user_from_all_groups(action.user_id)
