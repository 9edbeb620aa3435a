"""``/runtime/webhooks/webpubsub``: CloudEvents from Web PubSub to ``webPubSubTrigger``
functions, answered as the extension (1.10) answers them (azure-sdk-for-net
sdk/webpubsub/Microsoft.Azure.WebJobs.Extensions.WebPubSub/src/Trigger/
WebPubSubTriggerDispatcher.cs, Config/RequestValidator.cs, Utilities.cs).

``OPTIONS`` with a ``WebHook-Request-Origin`` is the abuse-protection check (only OPTIONS:
RequestValidator.IsValidationRequest): 200 with ``WebHook-Allowed-Origin: *`` when an origin
host is the host of a configured connection's Endpoint (or identity-based
``<setting>__serviceUri``), else 400. An event needs its ``ce-*`` headers and a
``WebHook-Request-Origin`` (400: TryParseCloudEvents reads them all), a function for its hub,
type and name (404, ignoring case), an origin that is a host of one of the function's
connections, and when that connection has an AccessKey a ``ce-signature`` with its HMAC of
the connection id (401: RequestValidator.IsValidSignature; no connection configured, no
check), and POST (400).

The function gets, by its binding name, what WebPubSubTriggerBinding.GetValueByName gives a
string parameter: ``request`` is the request object as Newtonsoft writes it with the
extension's converters (ConvertTypeIfPossible, JToken.FromObject; the converters of
WebPubSubConfigProvider.RegisterJsonConverter). The request classes are ``[DataContract]``
(Microsoft.Azure.WebPubSub.Common/src/Request), so only their ``[DataMember]`` names appear:

- every event: ``connectionContext`` (WebPubSubEventRequest), itself ``{"eventType":
  "System"|"User", "eventName", "hub", "connectionId", "userId", "signature", "origin",
  "states", "headers"}`` (WebPubSubConnectionContext; enums by name, StringEnumConverter);
- ``connected``: nothing more (ConnectedEventRequest);
- ``disconnected``: ``reason`` (DisconnectedEventRequest);
- a user event: ``data`` as a string, the body's UTF-8 text whatever its type
  (BinaryDataJsonConverter.WriteJson writes ``value.ToString()``; JObjectTests
  TestWebPubSubContext_UserEvent), and ``dataType`` ``"Binary"|"Json"|"Text"``.

``connectionContext``, ``data``, ``dataType`` and ``reason`` by those names give that part
alone (``data`` as its text). Its returned dict answers ``connect`` and user events
(Utilities.BuildValidResponse): ``{"code": "unauthorized"|"userError"|..., "errorMessage"}``
is 401, 400 or 500; a ``connect`` answer's ``userId``, ``groups``, ``roles`` and
``subprotocol`` go back as JSON; a user event's ``data`` with the Content-Type of its
``dataType`` (binary when unset). A failed function is 500 with its message. Bodies are read
only after the signature check: a ``connect`` or ``disconnected`` body within
System.Text.Json's 64 levels (else 500, as the extension's deserializer throws).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
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
_ORIGIN = "WebHook-Request-Origin"
_CONTENT_TYPES = {"text": "text/plain", "json": "application/json"}
#: Content-Type -> the WebPubSubDataType name the request carries (Utilities.GetDataType).
_DATA_TYPES = {
    "text/plain": "Text",
    "application/json": "Json",
    "application/octet-stream": "Binary",
}
_ERROR_STATUS = {"unauthorized": 401, "usererror": 400}
_REQUIRED = ("ce-hub", "ce-type", "ce-eventName", "ce-connectionId", _ORIGIN)


@dataclass(frozen=True)
class _Access:
    """One configured connection: its host and AccessKey (None: identity-based, or none)."""

    host: str
    key: str | None


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
        headers = request.headers
        if request.method == hdrs.METH_OPTIONS and _origins(headers.get(_ORIGIN, "")):
            return self._abuse_check(request)
        if not all(headers.get(name) for name in _REQUIRED):
            raise WebhookRefusal(400, f"a CloudEvents request needs {', '.join(_REQUIRED)}")
        system = headers["ce-type"].startswith(_SYSTEM_PREFIX)
        event = headers["ce-eventName"]
        key = (headers["ce-hub"].lower(), "system" if system else "user", event.lower())
        trigger = self._triggers.get(key)
        if trigger is None:
            raise WebhookRefusal(404, f"no webPubSubTrigger function for {'/'.join(key)}")
        if not self._valid_signature(trigger, headers):
            raise WebhookRefusal(
                401, f"{_ORIGIN} is not a configured service, or ce-signature does not match"
            )
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
            access.host for trigger in self._triggers.values() for access in self._accesses(trigger)
        }
        if any(origin.lower() in allowed for origin in _origins(request.headers[_ORIGIN])):
            return web.Response(status=200, headers={"WebHook-Allowed-Origin": "*"})
        return web.Response(status=400)

    def _valid_signature(self, trigger: _Trigger, headers: Mapping[str, str]) -> bool:
        """RequestValidator.IsValidSignature: no connection configured, no check; else the
        first origin that is a configured host decides: its AccessKey's HMAC must be among
        the signatures (no key, identity-based: accepted); no such origin, refused."""
        accesses = {access.host: access for access in self._accesses(trigger)}
        if not accesses:
            return True
        for origin in _origins(headers[_ORIGIN]):
            access = accesses.get(origin.lower())
            if access is None:
                continue
            if access.key is None:
                return True
            return _signed(headers.get("ce-signature", ""), headers["ce-connectionId"], access.key)
        return False

    def _accesses(self, trigger: _Trigger) -> Iterator[_Access]:
        for setting in trigger.connection_settings:
            text = self._settings.get(setting)
            if text is None:
                url, key = self._settings.get(f"{setting}__serviceUri", ""), None
            else:
                parts = _parts(text)
                url, key = parts.get("endpoint", ""), parts.get("accesskey") or None
            host = (urlsplit(url).hostname or "").lower()
            if host:
                yield _Access(host, key)


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


def _origins(header: str) -> list[str]:
    """The hosts of ``WebHook-Request-Origin`` (comma-separated: Constants.HeaderSeparator)."""
    return [origin.strip() for origin in header.split(",") if origin.strip()]


def _signed(header: str, connection_id: str, key: str) -> bool:
    sent = {item.strip().lower() for item in header.split(",") if item.strip()}
    digest = hmac.new(key.encode(), connection_id.encode(), hashlib.sha256).hexdigest()
    return "sha256=" + digest in sent


def _blocking(system: bool, event: str) -> bool:
    return not system or event.lower() == "connect"


def _request_json(request: web.Request, body: bytes, system: bool, event: str) -> dict[str, Any]:
    """The request object as the extension serializes it for a script function (module doc)."""
    headers = request.headers
    context = {
        "eventType": "System" if system else "User",
        "eventName": event,
        "hub": headers["ce-hub"],
        "connectionId": headers["ce-connectionId"],
        "userId": headers.get("ce-userId"),
        "signature": headers.get("ce-signature"),
        "origin": ",".join(headers.getall(_ORIGIN)),
        "states": {},
        "headers": {name: headers.getall(name) for name in headers},
    }
    value: dict[str, Any] = {"connectionContext": context}
    name = event.lower()
    if not system:
        media_type = (headers.get("Content-Type") or "").partition(";")[0].strip().lower()
        data_type = _DATA_TYPES.get(media_type)
        if data_type is None:
            raise WebhookRefusal(
                400, f"a user event's Content-Type must be one of {', '.join(_DATA_TYPES)}"
            )
        # BinaryData.ToString(): the bytes as UTF-8 text, whatever the data type.
        value["data"] = body.decode("utf-8", errors="replace")
        value["dataType"] = data_type
    elif name == "disconnected":
        value["reason"] = _system_body(body).get("reason") if body.strip() else None
    elif name == "connect":
        value.update(_system_body(body) if body.strip() else {})
    return value


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
    """What a string parameter of this name receives (GetValueByName): ``request`` all of
    it, ``data`` its text (BinaryData converts to its string), else that property as JSON."""
    if name.lower() == "request":
        return json.dumps(value)
    found = {key.lower(): item for key, item in value.items()}.get(name.lower())
    if name.lower() == "data" and isinstance(found, str):
        return found
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
