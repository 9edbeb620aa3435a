"""docchat's HTTP API as an OpenAPI 3.1 description, served at ``GET /api/openapi.json``.

Built from the settings, so the limits it states are the ones this app enforces. A contract
test holds it against the functions the app registers, and schemathesis fuzzes the running
app from it (tests/integration/test_openapi_fuzz.py): every answer must be one it lists.
"""

from __future__ import annotations

from typing import Any

from chat.api.http import Request, Response
from chat.api.inputs import MAX_MEMBERS_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TOKEN_LENGTH
from chat.domain.messages import (
    MAX_DISPLAY_NAME_LENGTH,
    MAX_DOCUMENT_ID_LENGTH,
    MAX_EMOJI_CHARACTERS,
    MAX_MESSAGE_ID_LENGTH,
    MAX_USER_ID_LENGTH,
)
from chat.settings import Settings

__all__ = ["Contract", "describe"]

_JSON = "application/json"
_REF = "#/components/schemas/"


def describe(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document for an app running with ``settings``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "docchat",
            "version": "1",
            "description": "Real-time chat for every document: history in Azure Cosmos DB, "
            "live delivery through Azure SignalR Service or Azure Web PubSub (hub `documents`).",
        },
        "servers": [{"url": "/api"}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(settings),
            "securitySchemes": _security_schemes(),
            "parameters": _parameters(),
        },
    }


class Contract:
    """``GET openapi.json``: needs the settings, whose limits the description states."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def document(self, request: Request) -> Response:
        """-> 200, this description (anonymous: it holds no secret)."""
        return Response(200, describe(self._settings))


def _paths() -> dict[str, Any]:
    document = [{"$ref": "#/components/parameters/documentId"}]
    member = [*document, {"$ref": "#/components/parameters/userId"}]
    message = [*document, {"$ref": "#/components/parameters/messageId"}]
    reaction = [*message, {"$ref": "#/components/parameters/emoji"}]
    user: list[dict[str, list[str]]] = [{"principal": []}, {"bearer": []}]
    service: list[dict[str, list[str]]] = [{"functionKey": []}]
    return {
        "/negotiate": {
            method: _operation(
                "negotiate",
                "Where and how the signed-in user's client connects to the real-time service.",
                user,
                ok=(200, "NegotiateResponse"),
                errors=(401, 503),
            )
            for method in ("get", "post")
        },
        "/documents/{documentId}/join": {
            "post": _operation(
                "join_document",
                "Add a real-time connection to the document's group.",
                user,
                document,
                body="JoinRequest",
                ok=(204, None),
                errors=(400, 401, 403, 404, 413, 415, 503),
            )
        },
        "/documents/{documentId}/leave": {
            "post": _operation(
                "leave_document",
                "Remove a real-time connection from the document's group.",
                user,
                document,
                body="JoinRequest",
                ok=(204, None),
                errors=(400, 401, 403, 404, 413, 415, 503),
            )
        },
        "/documents/{documentId}/messages": {
            "post": _operation(
                "send_message",
                "Store a message as the document's next and broadcast it (200: a retry).",
                user,
                document,
                body="SendMessageRequest",
                ok=(201, "Message"),
                also_ok=200,
                errors=(400, 401, 403, 404, 409, 413, 415, 429, 503),
                links=_MESSAGE_LINKS,
            ),
            "get": _operation(
                "list_messages",
                "Newest first by seq, or with `after` exactly what followed a cursor.",
                user,
                [*document, *_history_parameters()],
                ok=(200, "Page"),
                errors=(400, 401, 403, 404, 503),
            ),
        },
        "/documents/{documentId}/presence": {
            "get": _operation(
                "presence",
                "The users with a live connection that has joined the document.",
                user,
                document,
                ok=(200, "Presence"),
                errors=(400, 401, 403, 404, 503),
            )
        },
        "/documents/{documentId}/messages/{messageId}": {
            "patch": _operation(
                "edit_message",
                "Change your own message's text; it is marked edited.",
                user,
                message,
                body="EditRequest",
                ok=(200, "Message"),
                errors=(400, 401, 403, 404, 409, 413, 415, 429, 503),
            ),
            "delete": _operation(
                "delete_message",
                "Delete your own message: history keeps a tombstone without its text.",
                user,
                message,
                ok=(200, "Message"),
                errors=(400, 401, 403, 404, 429, 503),
            ),
        },
        "/documents/{documentId}/deletions": {
            "post": _operation(
                "delete_named_message",
                "Delete your own message named in the body: any id it was stored under, "
                "`.` and `..` too, which no path can carry.",
                user,
                document,
                body="DeletionRequest",
                ok=(200, "Message"),
                errors=(400, 401, 403, 404, 413, 415, 429, 503),
            )
        },
        "/documents/{documentId}/messages/{messageId}/reactions/{emoji}": {
            method: _operation(
                name,
                summary,
                user,
                reaction,
                ok=(200, "Message"),
                errors=(400, 401, 403, 404, 409, 429, 503),
            )
            for method, name, summary in (
                ("put", "add_reaction", "React to a message with one emoji."),
                ("delete", "remove_reaction", "Take your reaction back."),
            )
        },
        "/documents/{documentId}/read": {
            "put": _operation(
                "mark_read",
                "Record how far you have read (it never moves backwards).",
                user,
                document,
                body="ReadRequest",
                ok=(200, "ReadStatus"),
                errors=(400, 401, 403, 404, 413, 415, 503),
            ),
            "get": _operation(
                "read_status",
                "How far you have read, and how many messages after it are unread.",
                user,
                document,
                ok=(200, "ReadStatus"),
                errors=(400, 401, 403, 404, 503),
            ),
        },
        "/service/documents/{documentId}/messages": {
            "post": _operation(
                "send_service_message",
                "A backend posts a message for a named sender.",
                service,
                document,
                body="ServiceMessageRequest",
                ok=(201, "Message"),
                also_ok=200,
                errors=(400, 401, 404, 409, 413, 415, 503),
            )
        },
        "/service/documents/{documentId}/members": {
            "get": _operation(
                "list_members",
                "The document's members and roles (DOCCHAT_ACCESS=members), a page at a time.",
                service,
                [*document, *_members_parameters()],
                ok=(200, "MemberList"),
                errors=(400, 401, 404, 409, 503),
            )
        },
        "/service/documents/{documentId}/members/{userId}": {
            "put": _operation(
                "put_member",
                "Make the user a reader or writer of the document (200: they were a member).",
                service,
                member,
                body="MemberRequest",
                ok=(201, "Member"),
                also_ok=200,
                errors=(400, 401, 404, 409, 413, 415, 503),
                links=_MEMBER_LINKS,
            ),
            "delete": _operation(
                "remove_member",
                "End the membership; the user's connections stop hearing the document.",
                service,
                member,
                ok=(204, None),
                errors=(400, 401, 404, 409, 503),
            ),
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description.",
                "responses": {"200": {"description": "OK", "content": {_JSON: {}}}},
            }
        },
    }


def _operation(
    operation_id: str,
    summary: str,
    security: list[dict[str, list[str]]],
    parameters: list[dict[str, Any]] | None = None,
    *,
    body: str | None = None,
    ok: tuple[int, str | None],
    also_ok: int | None = None,
    errors: tuple[int, ...],
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    status, schema = ok
    responses = {str(status): _response(schema, links)}
    if also_ok is not None:
        responses[str(also_ok)] = _response(schema, links)
    responses.update({str(code): _error_response(code) for code in errors})
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "security": security,
        "parameters": parameters or [],
        "responses": responses,
    }
    if body is not None:
        content = {_JSON: {"schema": {"$ref": _REF + body}}}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def _response(schema: str | None, links: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": "Done; no body."}
    response = {"description": "OK", "content": {_JSON: {"schema": {"$ref": _REF + schema}}}}
    if links:
        response["links"] = links
    return response


def _link(operation_id: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation_id, "parameters": parameters}


#: What a client does next with a message it posted (schemathesis's stateful phase follows
#: these): change it, react to it, read it back.
_MESSAGE_LINKS = {
    name: _link(name, documentId="$request.path.documentId", messageId="$response.body#/id")
    for name in ("edit_message", "delete_message", "add_reaction", "remove_reaction")
} | {"list_messages": _link("list_messages", documentId="$request.path.documentId")}
#: A member just put can be removed.
_MEMBER_LINKS = {
    "remove_member": _link(
        "remove_member", documentId="$request.path.documentId", userId="$response.body#/userId"
    )
}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERROR_MEANINGS[status],
        "content": {_JSON: {"schema": {"$ref": _REF + "Error"}}},
    }
    if status in (429, 503):
        retry_after = {"schema": {"type": "string", "pattern": "^[0-9]+$"}, "required": True}
        response["headers"] = {"Retry-After": retry_after}
    return response


_ERROR_MEANINGS = {
    400: "The request is malformed; the message says which part and why.",
    401: "The caller is not signed in, or the function key is wrong.",
    403: "The caller may not do this in this document.",
    404: "No such route (an id holding / cannot be routed), no such message, or the real-time "
    "connection is not connected.",
    409: "The message id is taken by another message, the message was deleted, it has all "
    "the reactions it may hold, members are not enabled, or the document's history is full "
    "(code `document_history_full`: nothing more can be stored in it; `stored` says what "
    "happened to a message).",
    413: "The body is larger than any valid request.",
    415: "The body is not declared as application/json.",
    429: "The caller posts too fast; Retry-After says when it may again.",
    503: "Cosmos DB or the real-time service is down; `stored` says what happened to a "
    "message, and `removed: true` (code `revocation_incomplete`) that a membership is gone "
    "although its user's connections could not yet be stopped: send the same DELETE again.",
}


def _history_parameters() -> list[dict[str, Any]]:
    return [*_page_parameters(MAX_PAGE_SIZE), _query("after", _TOKEN)]


def _members_parameters() -> list[dict[str, Any]]:
    return _page_parameters(MAX_MEMBERS_PAGE_SIZE)


def _page_parameters(max_size: int) -> list[dict[str, Any]]:
    limit = {"type": "integer", "minimum": 1, "maximum": max_size}
    return [_query("limit", limit), _query("continuationToken", _TOKEN)]


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema}


_TOKEN = {"type": "string", "minLength": 1, "maxLength": MAX_TOKEN_LENGTH}


def _parameters() -> dict[str, Any]:
    def path(name: str, max_length: int) -> dict[str, Any]:
        schema = {"type": "string", "minLength": 1, "maxLength": max_length}
        return {
            "name": name,
            "in": "path",
            "required": True,
            "schema": schema,
            "description": _ID_RULE,
        }

    return {
        "documentId": path("documentId", MAX_DOCUMENT_ID_LENGTH),
        "userId": path("userId", MAX_USER_ID_LENGTH),
        "messageId": path("messageId", MAX_MESSAGE_ID_LENGTH),
        "emoji": path("emoji", MAX_EMOJI_CHARACTERS),
    }


#: The one rule for ids (chat.domain.messages.path_segment_problem), in words: JSON Schema cannot
#: say "unchanged under NFC".
_ID_RULE = (
    "Not . or .., no leading or trailing whitespace, none of / \\ ? #, no control, "
    "line-separator, surrogate or U+FFFD characters, no percent-escapes (%XX), and in Unicode "
    "NFC; anything else is 400."
)


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


def _schemas(settings: Settings) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1, "maxLength": settings.max_message_length}
    message_id = {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE_ID_LENGTH}
    name = {"type": "string", "minLength": 1, "maxLength": MAX_DISPLAY_NAME_LENGTH}
    user_id = {"type": "string", "minLength": 1, "maxLength": MAX_USER_ID_LENGTH}
    role = {"type": "string", "enum": ["reader", "writer"]}
    return {
        "JoinRequest": _object(
            {"connectionId": {"type": "string", "pattern": "^[!-~]{1,256}$"}}, ["connectionId"]
        ),
        "SendMessageRequest": _object({"text": text, "id": message_id}, ["text"]),
        "ServiceMessageRequest": _object(
            {"text": text, "id": message_id, "senderId": user_id, "senderName": name},
            ["text", "senderId"],
        ),
        "MemberRequest": _object({"role": role}, ["role"]),
        "EditRequest": _object({"text": text}, ["text"]),
        "DeletionRequest": _object({"messageId": message_id}, ["messageId"]),
        "ReadRequest": _object(
            {"seq": {"type": "integer", "minimum": 0, "maximum": 2**53}}, ["seq"]
        ),
        "ReadStatus": _object(
            {"seq": {"type": "integer", "minimum": 0}, "unread": {"type": "integer", "minimum": 0}},
            ["seq", "unread"],
        ),
        "Member": _object({"userId": user_id, "role": role}, ["userId", "role"]),
        "MemberList": _object(
            {
                "members": {"type": "array", "items": {"$ref": _REF + "Member"}},
                "continuationToken": {"type": ["string", "null"]},
            },
            ["members", "continuationToken"],
        ),
        "Message": _object(
            {
                "id": {"type": "string"},
                "documentId": {"type": "string"},
                "senderId": {"type": "string"},
                "senderName": {"type": "string"},
                "text": {"type": "string", "description": "absent once deleted"},
                "createdAt": {"type": "string", "format": "date-time"},
                "seq": {"type": "integer", "minimum": 1},
                "position": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "the message's latest place in its document's change "
                    "stream: every new message, edit, deletion and reaction takes the next one, "
                    "so of two states of one message the larger position is the later",
                },
                "cursor": {
                    "type": "string",
                    "description": "opaque; `after` it lists every change after this state",
                },
                "editedAt": {"type": ["string", "null"], "format": "date-time"},
                "deleted": {"type": "boolean"},
                "reactions": {
                    "type": "object",
                    "description": "each emoji and the ids of the users who reacted with it",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            [
                "id",
                "documentId",
                "senderId",
                "senderName",
                "createdAt",
                "seq",
                "position",
                "cursor",
                "editedAt",
                "deleted",
                "reactions",
            ],
        ),
        "Page": _object(
            {
                "items": {"type": "array", "items": {"$ref": _REF + "Message"}},
                "continuationToken": {"type": ["string", "null"]},
            },
            ["items", "continuationToken"],
        ),
        "Presence": _object(
            {"users": {"type": "array", "items": {"$ref": _REF + "User"}}}, ["users"]
        ),
        "User": _object({"id": {"type": "string"}, "name": {"type": "string"}}, ["id", "name"]),
        "NegotiateResponse": _object(
            {"url": {"type": "string"}, "accessToken": {"type": "string"}}, ["url", "accessToken"]
        ),
        "Error": _object({"error": _error_detail()}, ["error"]),
    }


def _error_detail() -> dict[str, Any]:
    return _object(
        {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "stored": {"type": ["boolean", "null"]},
            "id": {"type": "string"},
            "removed": {"type": "boolean"},
        },
        ["code", "message"],
    )


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
