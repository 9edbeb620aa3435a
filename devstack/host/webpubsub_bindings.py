"""The Web PubSub bindings, carried out through the official ``azure-messaging-webpubsubservice``
SDK, as the extension carries them out through its .NET SDK (azure-sdk-for-net
sdk/webpubsub/Microsoft.Azure.WebJobs.Extensions.WebPubSub/src).

``webPubSubConnection`` (input) gives the function ``{"baseUrl", "url", "accessToken"}`` for
``hub`` and an optional ``userId`` (Bindings/WebPubSubConnection.cs;
WebPubSubService.GetClientConnection). ``webPubSub`` (output) takes one action object or an
array of them and dispatches each by ``actionName``, ignoring case
(Config/WebPubSubConfigProvider.ConvertToWebPubSubOperation; FunctionBinding.ReadAsEnumerable
for arrays). ``data`` of a ``text`` or ``json`` action must be a string (CheckDataType); a
send without ``dataType`` is text (SendToGroupAction and the other sends default
``DataType = WebPubSubDataType.Text``).
Both read the connection string from the setting named by ``connection``
(default ``WebPubSubConnectionString``) and the hub from ``hub`` (default ``WebPubSubHub``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

from azure.messaging.webpubsubservice import WebPubSubServiceClient

from devstack.host.bindings import BindingScope

__all__ = [
    "CONNECTION_TYPE",
    "DEFAULT_CONNECTION_SETTING",
    "HUB_SETTING",
    "OUTPUT_TYPE",
    "WebPubSubBindingError",
    "WebPubSubConnectionBinding",
    "WebPubSubOutputBinding",
    "webpubsub_hub",
]

CONNECTION_TYPE = "webPubSubConnection"
OUTPUT_TYPE = "webPubSub"
DEFAULT_CONNECTION_SETTING = "WebPubSubConnectionString"
HUB_SETTING = "WebPubSubHub"
#: dataType -> Content-Type (WebPubSubConfigProvider; anything else is binary).
_CONTENT_TYPES = {"text": "text/plain", "json": "application/json"}


class WebPubSubBindingError(ValueError):
    """A Web PubSub binding is misconfigured, or an action malformed."""


def webpubsub_hub(properties: Mapping[str, Any], scope: BindingScope) -> str:
    """The binding's ``hub``, else the ``WebPubSubHub`` setting."""
    hub = scope.property(properties, "hub") or scope.settings.get(HUB_SETTING, "")
    if not hub:
        raise WebPubSubBindingError(f"set the binding's hub or the app setting {HUB_SETTING}")
    return hub


class WebPubSubConnectionBinding:
    """The ``webPubSubConnection`` input binding."""

    def read(self, properties: Mapping[str, Any], scope: BindingScope) -> str:
        client = _client(properties, scope)
        user = scope.property(properties, "userId") or None
        token = client.get_client_access_token(user_id=user)
        return json.dumps(
            {"baseUrl": token["baseUrl"], "url": token["url"], "accessToken": token["token"]}
        )


class WebPubSubOutputBinding:
    """The ``webPubSub`` output binding."""

    def write(self, properties: Mapping[str, Any], value: str, scope: BindingScope) -> None:
        """Carry out every action in ``value``, in order; all are checked first."""
        parsed = json.loads(value)
        actions = parsed if isinstance(parsed, list) else [parsed]
        calls = [_call(action) for action in actions]
        client = _client(properties, scope)
        for call in calls:
            call(client)

    def close(self) -> None:
        """Nothing pooled: each write builds its SDK client."""


Call = Callable[[WebPubSubServiceClient], object]


def _call(action: object) -> Call:
    if not isinstance(action, dict):
        raise WebPubSubBindingError("a webPubSub action must be a JSON object")
    fields = {key.lower(): value for key, value in action.items()}
    name = str(fields.get("actionname", "")).lower()
    build = _ACTIONS.get(name)
    if build is None:
        raise WebPubSubBindingError(f"unknown webPubSub actionName {fields.get('actionname')!r}")
    return build(_Fields(fields))


class _Fields:
    """An action's fields, read ignoring case, each checked when read."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def text(self, name: str) -> str:
        value = self._fields.get(name.lower())
        if not isinstance(value, str) or not value:
            raise WebPubSubBindingError(f"the action needs a string {name!r}")
        return value

    def optional(self, name: str) -> str | None:
        value = self._fields.get(name.lower())
        return value if isinstance(value, str) and value else None

    def excluded(self) -> list[str] | None:
        return list(self._fields.get("excluded") or []) or None

    def message(self) -> tuple[io.BytesIO, str]:
        data_type = str(self._fields.get("datatype") or "text").lower()
        data = self._fields.get("data")
        if data_type not in _CONTENT_TYPES:
            raise WebPubSubBindingError(
                "binary data needs Node's Buffer shape; the dev host sends text and json only"
            )
        if not isinstance(data, str):
            raise WebPubSubBindingError(f"data of dataType {data_type} must be a string")
        return io.BytesIO(data.encode()), _CONTENT_TYPES[data_type]


def _send_to_all(f: _Fields) -> Call:
    data, content_type = f.message()
    return lambda c: c.send_to_all(data, content_type=content_type, excluded=f.excluded())


def _send_to_group(f: _Fields) -> Call:
    group, (data, content_type) = f.text("group"), f.message()
    return lambda c: c.send_to_group(group, data, content_type=content_type, excluded=f.excluded())


def _send_to_user(f: _Fields) -> Call:
    user, (data, content_type) = f.text("userId"), f.message()
    return lambda c: c.send_to_user(user, data, content_type=content_type)


def _send_to_connection(f: _Fields) -> Call:
    connection, (data, content_type) = f.text("connectionId"), f.message()
    return lambda c: c.send_to_connection(connection, data, content_type=content_type)


def _add_user(f: _Fields) -> Call:
    group, user = f.text("group"), f.text("userId")
    return lambda c: c.add_user_to_group(group, user)


def _remove_user(f: _Fields) -> Call:
    group, user = f.text("group"), f.text("userId")
    return lambda c: c.remove_user_from_group(group, user)


def _remove_user_everywhere(f: _Fields) -> Call:
    user = f.text("userId")
    return lambda c: c.remove_user_from_all_groups(user)


def _add_connection(f: _Fields) -> Call:
    group, connection = f.text("group"), f.text("connectionId")
    return lambda c: c.add_connection_to_group(group, connection)


def _remove_connection(f: _Fields) -> Call:
    group, connection = f.text("group"), f.text("connectionId")
    return lambda c: c.remove_connection_from_group(group, connection)


def _close_all(f: _Fields) -> Call:
    return lambda c: c.close_all_connections(excluded=f.excluded(), reason=f.optional("reason"))


def _close_connection(f: _Fields) -> Call:
    connection = f.text("connectionId")
    return lambda c: c.close_connection(connection, reason=f.optional("reason"))


def _close_group(f: _Fields) -> Call:
    group = f.text("group")
    return lambda c: c.close_group_connections(
        group, excluded=f.excluded(), reason=f.optional("reason")
    )


def _grant(f: _Fields) -> Call:
    permission, connection = f.text("permission"), f.text("connectionId")
    return lambda c: c.grant_permission(
        permission, connection, target_name=f.optional("targetName")
    )


def _revoke(f: _Fields) -> Call:
    permission, connection = f.text("permission"), f.text("connectionId")
    return lambda c: c.revoke_permission(
        permission, connection, target_name=f.optional("targetName")
    )


_ACTIONS: dict[str, Callable[[_Fields], Call]] = {
    "sendtoall": _send_to_all,
    "sendtogroup": _send_to_group,
    "sendtouser": _send_to_user,
    "sendtoconnection": _send_to_connection,
    "addusertogroup": _add_user,
    "removeuserfromgroup": _remove_user,
    "removeuserfromallgroups": _remove_user_everywhere,
    "addconnectiontogroup": _add_connection,
    "removeconnectionfromgroup": _remove_connection,
    "closeallconnections": _close_all,
    "closeclientconnection": _close_connection,
    "closegroupconnections": _close_group,
    "grantpermission": _grant,
    "revokepermission": _revoke,
}


def _client(properties: Mapping[str, Any], scope: BindingScope) -> WebPubSubServiceClient:
    setting = scope.property(properties, "connection", DEFAULT_CONNECTION_SETTING)
    text = scope.settings.get(setting)
    if not text:
        raise WebPubSubBindingError(f"set the Web PubSub connection string in {setting!r}")
    return WebPubSubServiceClient.from_connection_string(text, hub=webpubsub_hub(properties, scope))
