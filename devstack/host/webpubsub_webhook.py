"""``/runtime/webhooks/webpubsub``: CloudEvents from Web PubSub to ``webPubSubTrigger``
functions, answered as the extension answers them (azure-sdk-for-net
sdk/webpubsub/Microsoft.Azure.WebJobs.Extensions.WebPubSub/src/Trigger/
WebPubSubTriggerDispatcher.cs, Config/RequestValidator.cs, Utilities.cs).

``OPTIONS`` (or ``GET``) is the abuse-protection check: 200 with ``WebHook-Allowed-Origin: *``
when a ``WebHook-Request-Origin`` host is the host of a configured connection's Endpoint (or
identity-based ``<setting>__serviceUri``), else 400. An event needs its ``ce-*`` headers (400),
a function for its hub, type and name (404, ignoring case), a ``ce-signature`` with the
AccessKey's HMAC of the connection id (401; no key configured, no check), and POST (400). The
function gets the request as JSON text by its binding name: ``request`` for all of it, or one
of its properties (WebPubSubTriggerBinding.GetValueByName). Its returned dict answers
``connect`` and user events (Utilities.BuildValidResponse): ``{"code":
"unauthorized"|"userError"|..., "errorMessage"}`` is 401, 400 or 500; a ``connect`` answer's
``userId``, ``groups``, ``roles`` and ``subprotocol`` go back as JSON; a user event's ``data``
with the Content-Type of its ``dataType`` (binary when unset). A failed function is 500 with
its message. Bodies are read only after the signature check: a ``connect`` or
``disconnected`` body within System.Text.Json's 64 levels (else 500, as the extension's
deserializer throws), a user event's JSON data parsed when it parses and as its text when
not (:mod:`devstack.json_limits`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from devstack import json_limits
from devstack.host.expressions import BindingData
from devstack.host.indexing import FunctionIndexError, TriggerFunction
from devstack.host.invocation import InvocationError, Invoker
from devstack.host.signalr_webhook import WebhookRefusal
from devstack.host.webpubsub_bindings import DEFAULT_CONNECTION_SETTING, HUB_SETTING

__all__ = ["WebPubSubWebhook"]

_SYSTEM_PREFIX = "azure.webpubsub.sys."
_CONTENT_TYPES = {"text": "text/plain", "json": "application/json"}
_DATA_TYPES = {
    "text/plain": "text",
    "application/json": "json",
    "application/octet-stream": "binary",
}
_ERROR_STATUS = {"unauthorized": 401, "usererror": 400}
_REQUIRED = ("ce-hub", "ce-type", "ce-eventName", "ce-connectionId")


@dataclass(frozen=True)
class _Trigger:
    function: TriggerFunction
    connection_settings: tuple[str, ...]


class WebPubSubWebhook:
    """Dispatches CloudEvents to the app's ``webPubSubTrigger`` functions."""

    def __init__(
        self, functions: Iterable[TriggerFunction], invoker: Invoker, settings: Mapping[str, str]
    ) -> None:
        self._invoker = invoker
        self._settings = settings
        self._triggers: dict[tuple[str, str, str], _Trigger] = {}
        for function in functions:
            key, trigger = _resolved(function, settings)
            if key in self._triggers:
                raise FunctionIndexError(f"function {function.name}: duplicated trigger {key}")
            self._triggers[key] = trigger

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        if request.method in (hdrs.METH_OPTIONS, hdrs.METH_GET):
            return self._abuse_check(request)
        headers = request.headers
        if not all(headers.get(name) for name in _REQUIRED):
            raise WebhookRefusal(400, f"a CloudEvents request needs {', '.join(_REQUIRED)}")
        system = headers["ce-type"].startswith(_SYSTEM_PREFIX)
        event = headers["ce-eventName"]
        key = (headers["ce-hub"].lower(), "system" if system else "user", event.lower())
        trigger = self._triggers.get(key)
        if trigger is None:
            raise WebhookRefusal(404, f"no webPubSubTrigger function for {'/'.join(key)}")
        keys = [k for k in map(self._access_key, trigger.connection_settings) if k]
        if keys and not _signed(headers.get("ce-signature", ""), headers["ce-connectionId"], keys):
            raise WebhookRefusal(401, "ce-signature does not match the AccessKey")
        if request.method != hdrs.METH_POST:
            raise WebhookRefusal(400, "an event must be POSTed")
        value = _request_json(request, body, system, event)
        try:
            result = await self._invoker.invoke_trigger(
                trigger.function,
                _by_name(value, trigger.function.trigger_param),
                BindingData.of_names({}),
            )
        except InvocationError as error:
            return web.Response(status=500 if _blocking(system, event) else 200, text=error.detail)
        if not _blocking(system, event) or not isinstance(result, dict):
            return web.Response(status=200)
        return _answer(result, event.lower() == "connect" and system)

    def _abuse_check(self, request: web.Request) -> web.Response:
        allowed = {
            (urlsplit(self._service_url(setting)).hostname or "").lower()
            for trigger in self._triggers.values()
            for setting in trigger.connection_settings
        }
        origins = request.headers.get("WebHook-Request-Origin", "").split(",")
        if any(origin.strip().lower() in allowed for origin in origins):
            return web.Response(status=200, headers={"WebHook-Allowed-Origin": "*"})
        return web.Response(status=400)

    def _service_url(self, setting: str) -> str:
        """The connection's Endpoint, or its identity-based ``__serviceUri`` (which has no
        AccessKey, so its events go unsigned-checked, as in the extension)."""
        text = self._settings.get(setting)
        if text is None:
            return self._settings.get(f"{setting}__serviceUri", "")
        return _endpoint(text)

    def _access_key(self, setting: str) -> str | None:
        parts = _parts(self._settings.get(setting, ""))
        return parts.get("accesskey")


def _resolved(
    function: TriggerFunction, settings: Mapping[str, str]
) -> tuple[tuple[str, str, str], _Trigger]:
    properties = function.trigger
    hub = properties.get("hub") or settings.get(HUB_SETTING, "")
    event_type = str(properties.get("eventType") or "").lower()
    event = properties.get("eventName") or ""
    if not hub or event_type not in ("system", "user") or not event:
        raise FunctionIndexError(
            f"function {function.name}: a webPubSubTrigger needs hub (or {HUB_SETTING}), "
            "eventType system or user, and eventName"
        )
    connections = tuple(properties.get("connections") or (DEFAULT_CONNECTION_SETTING,))
    return (hub.lower(), event_type, event.lower()), _Trigger(function, connections)


def _parts(connection_string: str) -> dict[str, str]:
    pairs = (item.partition("=") for item in connection_string.split(";") if "=" in item)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def _endpoint(connection_string: str) -> str:
    return _parts(connection_string).get("endpoint", "")


def _signed(header: str, connection_id: str, keys: list[str]) -> bool:
    sent = {item.strip().lower() for item in header.replace(" ", ",").split(",") if item.strip()}
    return any(
        "sha256=" + hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
        in sent
        for key in keys
    )


def _blocking(system: bool, event: str) -> bool:
    return not system or event.lower() == "connect"


def _request_json(request: web.Request, body: bytes, system: bool, event: str) -> dict[str, Any]:
    headers = request.headers
    context = {
        "eventType": "System" if system else "User",
        "eventName": event,
        "hub": headers["ce-hub"],
        "connectionId": headers["ce-connectionId"],
        "userId": headers.get("ce-userId"),
        "signature": headers.get("ce-signature"),
        "origin": headers.get("WebHook-Request-Origin"),
        "states": {},
        "headers": {name: headers.getall(name) for name in headers},
    }
    value: dict[str, Any] = {"connectionContext": context}
    if not system:
        media_type = (headers.get("Content-Type") or "").partition(";")[0].strip().lower()
        data_type = _DATA_TYPES.get(media_type)
        if data_type is None:
            raise WebhookRefusal(
                400, f"a user event's Content-Type must be one of {', '.join(_DATA_TYPES)}"
            )
        value["dataType"] = data_type
        value["data"] = _user_data(body, data_type)
    elif body.strip():
        value.update(_system_body(body))
    return value


def _user_data(body: bytes, data_type: str) -> Any:
    """A user event's data. The extension never parses it (UserEventRequest.Data is
    BinaryData, handed on as its text), so data that is not JSON (or nests past the parsers'
    limit) reaches the function as text instead of failing the event."""
    if data_type == "binary":
        return base64.b64encode(body).decode()
    text = body.decode(errors="replace")
    if data_type == "json":
        try:
            return json_limits.loads(text)
        except ValueError:
            return text
    return text


def _system_body(body: bytes) -> dict[str, Any]:
    """A connect or disconnected event's JSON body. The extension deserializes it with
    System.Text.Json (depth limit 64) and an unreadable one escapes as 500
    (WebPubSubTriggerDispatcher.ExecuteAsync); the same status here, saying why."""
    try:
        document = json_limits.loads(body)
    except ValueError as error:
        raise WebhookRefusal(500, f"the event's body is not readable JSON: {error}") from None
    if not isinstance(document, dict):
        raise WebhookRefusal(500, "the event's body is not a JSON object")
    return document


def _by_name(value: dict[str, Any], name: str) -> str:
    """What a parameter of this name receives: ``request`` all of it, else that property."""
    if name.lower() == "request":
        return json.dumps(value)
    found = {key.lower(): item for key, item in value.items()}.get(name.lower())
    return json.dumps(found)


def _answer(result: dict[str, Any], connect: bool) -> web.Response:
    fields = {key.lower(): value for key, value in result.items()}
    code = str(fields.get("code") or "").lower()
    if code and code != "success":
        status = _ERROR_STATUS.get(code, 500)
        return web.Response(status=status, text=str(fields.get("errormessage") or ""))
    if connect:
        answer = {
            name: result[name]
            for name in ("userId", "groups", "subprotocol", "roles")
            if result.get(name)
        }
        return web.json_response(answer)
    data, data_type = fields.get("data"), str(fields.get("datatype") or "binary").lower()
    text = data if isinstance(data, str) else json.dumps(data)
    return web.Response(
        status=200,
        body=text.encode(),
        content_type=_CONTENT_TYPES.get(data_type, "application/octet-stream"),
    )
