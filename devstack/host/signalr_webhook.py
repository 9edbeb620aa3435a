"""``/runtime/webhooks/signalr``: upstream events from SignalR Service to ``signalRTrigger``
functions, answered as the extension answers them.

The order and the status codes are SignalRTriggerDispatcher.ExecuteAsync's and its executors'
(azure-sdk-for-net sdk/signalr/Microsoft.Azure.WebJobs.Extensions.SignalRService/src/
TriggerBindings/SignalRTriggerDispatcher.cs, Executor/SignalR{Connect,Disconnect,Invocation}
MethodExecutor.cs): a body that is neither JSON nor MessagePack is 415; an empty hub,
category or event header 400; no function for them 404; then the request is read (no
connection id, an unreadable body, or a hub method other than the event: 500), the signature
checked (401, and the function never runs), and the function invoked with the invocation
context as JSON text. Its outcome becomes the answer: ``connected`` 200, or 403 when the
function failed; ``disconnected`` 200 whatever happened; a hub invocation 200, with the framed
completion (the returned value, or the failure) when the client waits for one.

One step moves: the signature is checked before the body is read, not after. It signs only
the connection id header, so the answer to a signed request is the extension's; but an
unsigned request is refused with 401 whatever its body, where the extension, reading first,
answers an unsigned unreadable body with 500 (SignalRInvocationMethodExecutor.ExecuteAsync
reads the message, then ExecuteWithAuthAsync checks ValidateSignature). Nobody without the
AccessKey reaches the body parser.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devstack.host.expressions import BindingData
from devstack.host.invocation import InvocationError, Invoker
from devstack.host.serverless_messages import (
    CLOSE_CONNECTION,
    INVOCATION,
    JSON,
    MESSAGEPACK,
    MessageParseError,
    ServerlessMessage,
    parse_message,
)
from devstack.host.signalr_requests import (
    CATEGORY_HEADER,
    CONNECTION_ID_HEADER,
    EVENT_HEADER,
    HUB_HEADER,
    access_keys,
    invocation_context,
    signature_matches,
)
from devstack.host.signalr_triggers import CONNECTED, CONNECTIONS, SignalRTrigger, TriggerTable
from devstack.signalr.protocol import PROTOCOLS, HubProtocol, bytes_as_base64

__all__ = ["SignalRWebhook"]

logger = logging.getLogger("devstack.host")

#: The hub protocol whose completion answers a body of each media type.
_PROTOCOLS: dict[str, HubProtocol] = {p.content_type: p for p in PROTOCOLS.values()}
#: CompletionMessage's fallback when a failure has no message.
_EXECUTION_FAILED = "Method execution failed."


class WebhookRefusal(Exception):
    """The request is refused with ``status``; ``message`` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Outcome:
    """How a function's invocation ended: its result, or the failure's text."""

    succeeded: bool
    result: Any = None
    error: str | None = None


class SignalRWebhook:
    """Dispatches upstream requests to the app's ``signalRTrigger`` functions."""

    def __init__(
        self, triggers: TriggerTable, invoker: Invoker, settings: Mapping[str, str]
    ) -> None:
        self._triggers = triggers
        self._invoker = invoker
        self._settings = settings

    async def answer(self, request: web.Request, body: bytes) -> web.Response:
        """The extension's answer to one upstream request with ``body``; WebhookRefusal for a
        refused one."""
        media_type = (request.headers.get("Content-Type") or "").partition(";")[0].strip()
        if media_type not in _PROTOCOLS:
            raise WebhookRefusal(415, f"an upstream body must be {JSON} or {MESSAGEPACK}")
        hub, category, event = (
            request.headers.get(name, "") for name in (HUB_HEADER, CATEGORY_HEADER, EVENT_HEADER)
        )
        if not (hub and category and event):
            raise WebhookRefusal(
                400, f"{HUB_HEADER}, {CATEGORY_HEADER} and {EVENT_HEADER} must not be empty"
            )
        trigger = self._triggers.find(hub, category, event)
        if trigger is None:
            raise WebhookRefusal(404, f"no signalRTrigger function for {hub}/{category}/{event}")
        self._check_signature(trigger, request)
        context = invocation_context(request)
        if context is None:
            raise WebhookRefusal(500, "the request has no X-ASRS-Connection-Id")
        if trigger.category == CONNECTIONS:
            return await self._connection_event(trigger, request, body, media_type, context)
        return await self._invocation(trigger, request, body, media_type, context)

    async def _connection_event(
        self,
        trigger: SignalRTrigger,
        request: web.Request,
        body: bytes,
        media_type: str,
        context: dict[str, Any],
    ) -> web.Response:
        if trigger.event == CONNECTED:
            # The connect executor never reads the body.
            outcome = await self._run(trigger, context)
            return web.Response(status=200 if outcome.succeeded else 403)
        message = _parsed(body, media_type, CLOSE_CONNECTION)
        context["Error"] = message.error
        await self._run(trigger, context)
        return web.Response(status=200)

    async def _invocation(
        self,
        trigger: SignalRTrigger,
        request: web.Request,
        body: bytes,
        media_type: str,
        context: dict[str, Any],
    ) -> web.Response:
        message = _parsed(body, media_type, INVOCATION)
        if (message.target or "").lower() != trigger.event.lower():
            raise WebhookRefusal(
                500, f"the body invokes {message.target!r}, the headers {context['Event']!r}"
            )
        context["Arguments"] = message.arguments
        outcome = await self._run(trigger, context)
        if message.invocation_id is None:
            return web.Response(status=200)
        protocol = _PROTOCOLS[media_type]
        if outcome.succeeded:
            frame = protocol.result(message.invocation_id, outcome.result)
        else:
            frame = protocol.completion(
                message.invocation_id, error=outcome.error or _EXECUTION_FAILED
            )
        return web.Response(status=200, body=frame)

    def _check_signature(self, trigger: SignalRTrigger, request: web.Request) -> None:
        """401 unless the request is signed for its connection id (one missing signs as empty,
        so it never matches a real signature)."""
        keys = access_keys(self._settings, trigger.connection_setting)
        connection_id = request.headers.get(CONNECTION_ID_HEADER, "")
        if keys is not None and not signature_matches(request.headers, connection_id, keys):
            raise WebhookRefusal(
                401,
                f"X-ASRS-Signature does not match the AccessKey of {trigger.connection_setting}",
            )

    async def _run(self, trigger: SignalRTrigger, context: dict[str, Any]) -> _Outcome:
        function = trigger.function
        arguments = context["Arguments"]
        names = trigger.parameter_names
        if names and len(arguments or ()) != len(names):
            # SignalRTriggerBinding.BindAsync: SignalRTriggerParametersNotMatchException.
            error = (
                f"The function accept {len(names)} arguments but message provided "
                f"{len(arguments or ())}."
            )
            logger.error("Functions.%s not run: %s", function.name, error)
            return _Outcome(succeeded=False, error=error)
        # No parameter names, or as many as there are arguments (checked above).
        data = BindingData.of_names(dict(zip(names, map(_as_text, arguments or ()), strict=False)))
        text = json.dumps(context, default=bytes_as_base64)
        value = text.encode() if function.trigger_as_bytes else text
        try:
            result = await self._invoker.invoke_trigger(function, value, data)
        except InvocationError as error:
            return _Outcome(succeeded=False, error=error.detail)
        return _Outcome(succeeded=True, result=result)


def _parsed(body: bytes, media_type: str, expected: int) -> ServerlessMessage:
    """The body's message, which must be of the ``expected`` type (the executors cast it)."""
    try:
        message = parse_message(body, media_type)
    except MessageParseError as error:
        raise WebhookRefusal(500, str(error)) from None
    if message.type != expected:
        raise WebhookRefusal(500, f"the body is a message of type {message.type}, not {expected}")
    return message


def _as_text(argument: Any) -> str:
    """An argument as binding data: text as it is, anything else as JSON."""
    return argument if isinstance(argument, str) else json.dumps(argument, default=bytes_as_base64)
