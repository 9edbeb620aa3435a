"""Azure Web PubSub through the Functions Web PubSub bindings.

``DOCCHAT_WEBPUBSUB_MODE=bindings``: negotiate reads the host's ``webPubSubConnection`` input,
issued for the App Service principal header, and group changes and sends are actions of the
``webPubSub`` output binding (``actionName`` dispatch), which the host carries out after the
function returns and before it answers. A failure there never reaches docchat: the host
fails the invocation, and an HTTP caller gets the host's 500, with no ``stored``, whatever
docchat returned; what the function did stands (a message is stored, and sending it again
with the same id delivers it once). tests/integration/test_chat_bindings_delivery.py
shows it.
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
from realtime.webpubsub_events import inbound_event, outbound_message, webpubsub_triggers
from realtime.webpubsub_settings import WEBPUBSUB_CONNECTION_SETTING, WebPubSubSettings

__all__ = ["ConnectionUrl", "OutputActions", "WebPubSubBindings"]

#: Sets a function's ``webPubSub`` output binding (``func.Out[str].set``).
Emit = Callable[[str], None]


class WebPubSubBindings:
    """The backend for bindings mode: the declarations, and per invocation the values."""

    def __init__(self, settings: WebPubSubSettings) -> None:
        common = {"hub": settings.hub, "connection": WEBPUBSUB_CONNECTION_SETTING}
        self.output: BindingDeclaration | None = BindingDeclaration("webPubSub", common)
        self.connection_input: BindingDeclaration | None = BindingDeclaration(
            "webPubSubConnection", {**common, "userId": "{headers.x-ms-client-principal-id}"}
        )
        self.event_triggers: Mapping[str, BindingDeclaration] = webpubsub_triggers(settings.hub)

    def realtime(self, output: Emit | None = None) -> Realtime:
        """Actions for this invocation's output binding."""
        if output is None:
            raise ValueError("bindings mode needs the function's webPubSub output binding")
        return OutputActions(output)

    def negotiator(self, connection_input: str | None = None) -> Negotiator:
        """What the host issued for this invocation's principal."""
        if connection_input is None:
            raise ValueError("bindings mode needs the function's webPubSubConnection input")
        return ConnectionUrl(connection_input)

    def inbound(self, trigger_value: str) -> InboundEvent:
        """The service's report, as the Web PubSub extension passes it on."""
        return inbound_event(trigger_value)

    def reported(self) -> None:
        """Nothing to do: the host's Web PubSub extension makes the calls, with no breaker here."""


class ConnectionUrl:
    """The ``webPubSubConnection`` input's ``url``, as the negotiate response."""

    def __init__(self, binding_value: str) -> None:
        self._value = json.loads(binding_value)

    def connection_for(self, user: User) -> dict[str, Any]:
        return {"url": str(self._value["url"])}

    def renewed_user(self, headers: Mapping[str, str]) -> User | None:
        return None  # the host issues URLs for a principal header, never from a token


class OutputActions:
    """Realtime as ``webPubSub`` output actions, handed to ``emit`` as one JSON list.

    A function's output binding holds one value, so each call re-emits every action so far;
    the host adds one action per element (WebJobs ``FunctionBinding.ReadAsEnumerable``).
    """

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._actions: list[dict[str, Any]] = []

    def add_to_group(self, group: str, connection_id: str) -> None:
        self._append("addConnectionToGroup", group=group, connectionId=connection_id)

    def remove_from_group(self, group: str, connection_id: str) -> None:
        self._append("removeConnectionFromGroup", group=group, connectionId=connection_id)

    def send_to_group(
        self, group: str, event: str, payload: Any, excluded: Sequence[str] = ()
    ) -> None:
        """One ``sendToGroup`` action; its ``excluded`` list is the REST call's."""
        fields = {"excluded": list(excluded)} if excluded else {}
        self._append("sendToGroup", group=group, **fields, **_json_data(event, payload))

    def send_to_user(self, user_id: str, event: str, payload: Any) -> None:
        """One ``sendToUser`` action (the extension's SendToUserAction: userId, data,
        dataType)."""
        user = not_a_path_step(user_id)
        self._append("sendToUser", userId=user, **_json_data(event, payload))

    def stop_user_hearing(self, group: str, user_id: str, connection_ids: Sequence[str]) -> None:
        """The output binding has no "close a user's connections": this removes each
        connection that joined the group, and the user (for any user-level membership)."""
        for connection_id in connection_ids:
            self.remove_from_group(group, connection_id)
        self._append("removeUserFromGroup", group=group, userId=user_id)

    def is_connected(self, connection_id: str) -> bool | None:
        """The output binding cannot ask: presence relies on disconnect events and expiry."""
        return None

    def _append(self, action: str, **fields: Any) -> None:
        self._actions.append({"actionName": action, **fields})
        self._emit(json.dumps(self._actions, ensure_ascii=False))


def _json_data(event: str, payload: Any) -> dict[str, str]:
    """The extension wants ``data`` as a string for ``dataType: json`` (CheckDataType)."""
    data = json.dumps(outbound_message(event, payload), ensure_ascii=False)
    return {"data": data, "dataType": "json"}
