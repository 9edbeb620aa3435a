"""The Azure SignalR Service through the Functions SignalR bindings.

``DOCCHAT_SIGNALR_MODE=bindings``: negotiate reads the host's ``signalRConnectionInfo``
input, issued for the App Service principal header, and group changes and sends are items
of the ``signalR`` output binding, which the host carries out after the function returns
and before it answers. A failure there never reaches docchat: the host fails the invocation,
and an HTTP caller gets the host's 500, with no ``stored``, whatever docchat returned; what
the function did stands (a message is stored, and sending it again with the same id
delivers it once). tests/integration/test_chat_bindings_delivery.py shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chat.app.events import InboundEvent
from chat.app.realtime import Negotiator, Realtime
from chat.domain.users import User
from realtime.backend import BindingDeclaration
from realtime.path_steps import not_a_path_step
from realtime.settings import HUB, SIGNALR_CONNECTION_SETTING
from realtime.signalr_events import SIGNALR_TRIGGERS, inbound_event
from signalr.bindings import OutputItem, SignalRGroupAction, SignalRMessage, dump_output

__all__ = ["BindingOutput", "ConnectionInfo", "SignalRBindings"]

#: Sets a function's ``signalR`` output binding (``func.Out[str].set``).
Emit = Callable[[str], None]


class SignalRBindings:
    """The backend for bindings mode: the declarations, and per invocation the values."""

    output: BindingDeclaration | None = BindingDeclaration(
        "signalR",
        {"hubName": HUB, "connectionStringSetting": SIGNALR_CONNECTION_SETTING},
    )
    connection_input: BindingDeclaration | None = BindingDeclaration(
        "signalRConnectionInfo",
        {
            "hubName": HUB,
            "connectionStringSetting": SIGNALR_CONNECTION_SETTING,
            "userId": "{headers.x-ms-client-principal-id}",
        },
    )
    event_triggers: Mapping[str, BindingDeclaration] = SIGNALR_TRIGGERS

    def realtime(self, output: Emit | None = None) -> Realtime:
        """Items for this invocation's output binding."""
        if output is None:
            raise ValueError("bindings mode needs the function's signalR output binding")
        return BindingOutput(output)

    def inbound(self, trigger_value: str) -> InboundEvent:
        """The service's report, as the SignalR extension passes it on."""
        return inbound_event(trigger_value)

    def reported(self) -> None:
        """Nothing to do: the host's SignalR extension makes the calls, with no breaker here."""

    def negotiator(self, connection_input: str | None = None) -> Negotiator:
        """What the host issued for this invocation's principal."""
        if connection_input is None:
            raise ValueError("bindings mode needs the function's signalRConnectionInfo input")
        return ConnectionInfo(connection_input)


class ConnectionInfo:
    """The ``signalRConnectionInfo`` input's JSON, as the negotiate response."""

    def __init__(self, binding_value: str) -> None:
        self._value = json.loads(binding_value)

    def connection_for(self, user: User) -> dict[str, Any]:
        return {"url": str(self._value["url"]), "accessToken": str(self._value["accessToken"])}

    def renewed_user(self, headers: Mapping[str, str]) -> User | None:
        return None  # the host issues tokens for a principal header, never from a token


class BindingOutput:
    """Realtime as ``signalR`` output-binding items, handed to ``emit`` as one JSON list.

    A function's output binding holds one value, so each call re-emits every item so far.
    """

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._items: list[OutputItem] = []

    def add_to_group(self, group: str, connection_id: str) -> None:
        self._append(
            SignalRGroupAction(action="add", group_name=group, connection_id=connection_id)
        )

    def remove_from_group(self, group: str, connection_id: str) -> None:
        self._append(
            SignalRGroupAction(action="remove", group_name=group, connection_id=connection_id)
        )

    def send_to_group(
        self, group: str, event: str, payload: Any, excluded: Sequence[str] = ()
    ) -> None:
        """One group message. The extension's ``SignalRMessage`` has no excluded list
        (Azure/azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.SignalRService
        SignalRMessage.cs: connection, user, group, target, arguments, endpoints), so the
        ``excluded`` connections hear it too: the page drops typing by its own user."""
        self._append(SignalRMessage(target=event, arguments=[payload], group_name=group))

    def send_to_user(self, user_id: str, event: str, payload: Any) -> None:
        """One message naming ``userId``: the extension sends it to the user's connections
        (SignalRAsyncCollector.cs: a message with a user id and no connection id)."""
        user = not_a_path_step(user_id)
        self._append(SignalRMessage(target=event, arguments=[payload], user_id=user))

    def is_connected(self, connection_id: str) -> bool | None:
        """The output binding cannot ask: presence relies on disconnect events and expiry."""
        return None

    def stop_user_hearing(self, group: str, user_id: str, connection_ids: Sequence[str]) -> None:
        """The output binding cannot close connections: this removes each connection that
        joined the group, and the user (for any user-level membership)."""
        for connection_id in connection_ids:
            self.remove_from_group(group, connection_id)
        self._append(SignalRGroupAction(action="remove", group_name=group, user_id=user_id))

    def _append(self, item: OutputItem) -> None:
        self._items.append(item)
        self._emit(dump_output(self._items))
