"""docchat's HTTP API as an OpenAPI 3.1 description, served at ``GET /api/openapi.json``.

Generated, never written by hand: each operation from its row of
:data:`chat.api.routes.ROUTES`, each schema from the pydantic model the row names
(``model_json_schema``: requests as validated, answers as serialised), each path parameter
from :data:`chat.api.inputs.PATH_PARAMETERS`. The settings add the one limit that is
configured, a message's length. A contract test holds it against the functions the app
registers, and schemathesis fuzzes the running app from it (tests/integration/test_openapi.py):
every answer must be one it lists.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from chat.api import inputs, outputs
from chat.api.http import Request, Response
from chat.api.inputs import ID_RULE, PATH_PARAMETERS, id_schema
from chat.api.routes import ROUTES, Audience, Link, Route
from chat.settings import Settings

__all__ = ["Contract", "describe"]

_JSON = "application/json"
_REF = "#/components/schemas/{model}"
_PATH_PARAMETER = re.compile(r"{(\w+)}")
#: The request field that holds a message's text, whose most characters are a setting.
_TEXT = "text"
_SECURITY: dict[Audience, list[dict[str, list[str]]]] = {
    Audience.USER: [{"principal": []}, {"bearer": []}],
    Audience.SERVICE: [{"functionKey": []}],
    Audience.ANYONE: [],
}


def describe(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document for an app running with ``settings``."""
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        operation = _operation(route, schemas, settings.max_message_length)
        item = paths.setdefault(f"/{route.route}", {})
        item.update({method.lower(): operation for method in route.methods})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "docchat",
            "version": "1",
            "description": "Real-time chat for every document: history in Azure Cosmos DB, "
            "live delivery through Azure SignalR Service or Azure Web PubSub (hub `documents`).",
        },
        "servers": [{"url": "/api"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": _security_schemes(),
            "parameters": {
                name: _path_parameter(name, most) for name, most in PATH_PARAMETERS.items()
            },
        },
    }


class Contract:
    """``GET openapi.json``: needs the settings, whose limits the description states."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def document(self, request: Request) -> Response:
        """-> 200, this description (anonymous: it holds no secret)."""
        return Response(200, describe(self._settings))


def _operation(route: Route, schemas: dict[str, Any], max_text_length: int) -> dict[str, Any]:
    """The route's operation; the schemas it names are added to ``schemas``."""
    parameters = [
        {"$ref": f"#/components/parameters/{name}"} for name in _PATH_PARAMETER.findall(route.route)
    ]
    if route.query is not None:
        parameters += _query_parameters(_model(inputs, route.query))
    errors = route.errors
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "security": _SECURITY[route.audience],
        "parameters": parameters,
    }
    if route.body is not None:
        body = _request_schema(_model(inputs, route.body), schemas, max_text_length)
        operation["requestBody"] = {"required": True, "content": {_JSON: {"schema": body}}}
        errors = (*errors, 413, 415)
    answer = (
        None if route.answer is None else _answer_schema(_model(outputs, route.answer), schemas)
    )
    operation["responses"] = {
        **{str(status): _response(answer, route.links) for status in route.statuses},
        **{str(status): _error_response(status, schemas) for status in sorted(errors)},
    }
    return operation


def _model(module: Any, name: str) -> type[BaseModel]:
    """The model a route names in ``module``."""
    model = getattr(module, name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{module.__name__}.{name} is not a pydantic model")
    return model


def _request_schema(
    model: type[BaseModel], schemas: dict[str, Any], max_text_length: int
) -> dict[str, Any]:
    schema = _without_null_options(model.model_json_schema(mode="validation", ref_template=_REF))
    if _TEXT in schema["properties"]:
        schema["properties"][_TEXT]["maxLength"] = max_text_length
    return _component(model, schema, schemas)


def _answer_schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization", ref_template=_REF)
    return _component(model, schema, schemas)


def _component(
    model: type[BaseModel], schema: dict[str, Any], schemas: dict[str, Any]
) -> dict[str, Any]:
    """Put ``schema`` and the schemas it refers to among the components; refer to it."""
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def _without_null_options(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional request field is left out, never sent as null (inputs refuses null), so
    its schema is the value's alone, without the null pydantic allows and defaults to."""
    for name, field in schema["properties"].items():
        if name not in schema.get("required", ()) and field.get("default", 0) is None:
            (value,) = [option for option in field.pop("anyOf") if option != {"type": "null"}]
            del field["default"]
            field.update(value)
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = _without_null_options(model.model_json_schema(mode="validation", ref_template=_REF))
    return [
        {"name": name, "in": "query", "schema": field}
        for name, field in schema["properties"].items()
    ]


def _path_parameter(name: str, max_length: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": id_schema(max_length),
        "description": ID_RULE,
    }


def _response(schema: dict[str, Any] | None, links: tuple[Link, ...]) -> dict[str, Any]:
    if schema is None:
        return {"description": "Done; no body."}
    response: dict[str, Any] = {"description": "OK", "content": {_JSON: {"schema": schema}}}
    if links:
        response["links"] = {
            link.operation: {"operationId": link.operation, "parameters": dict(link.parameters)}
            for link in links
        }
    return response


def _error_response(status: int, schemas: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERROR_MEANINGS[status],
        "content": {_JSON: {"schema": _answer_schema(outputs.Error, schemas)}},
    }
    if status in (429, 503):
        retry_after = {"schema": {"type": "string", "pattern": "^[0-9]+$"}, "required": True}
        response["headers"] = {"Retry-After": retry_after}
    return response


_ERROR_MEANINGS = {
    400: "The request is malformed; the message says which part and why.",
    401: "The caller is not signed in, or the function key is wrong.",
    403: "The caller may not do this in this document.",
    404: "No such route (an id holding / cannot be routed), no such message or webhook, or "
    "the real-time connection is not connected.",
    409: "The message id is taken by another message, the message was deleted, it has all "
    "the reactions it may hold, members or webhooks are not enabled, or the document's "
    "history is full "
    "(code `document_history_full`: nothing more can be stored in it; `stored` says what "
    "happened to a message).",
    413: "The body is larger than any valid request.",
    415: "The body is not declared as application/json.",
    429: "The caller posts too fast; Retry-After says when it may again.",
    503: "Cosmos DB, the work queue or the real-time service is down; `stored` says what "
    "happened to a message, and `removed: true` (code `revocation_incomplete`) that a "
    "membership is gone although its user's connections could not yet be stopped: send the "
    "same DELETE again.",
}


def _security_schemes() -> dict[str, Any]:
    def header(name: str, description: str) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": name, "description": description}

    return {
        "principal": header(
            "X-MS-CLIENT-PRINCIPAL-ID",
            "DOCCHAT_AUTH=appservice (set by App Service Authentication) or dev (local only).",
        ),
        "bearer": {"type": "http", "scheme": "bearer", "description": "DOCCHAT_AUTH=jwt."},
        "functionKey": header("x-functions-key", "The function key of backend routes."),
    }
