"""What schemathesis found the code and the OpenAPI document disagreeing on (issue 26,
finding 8), held against the app served as in Azure: each answer must be the one the
document lists for the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat.api.openapi import describe
from chat.settings import load_settings
from tests.fixtures.chat import ALICE, BOB
from tests.integration.chat_calls import body_of, doc, membership, post, principal
from tests.integration.conftest import LoadApp


def spec(host: Any) -> dict[str, Any]:
    return describe(load_settings(host.environment))


async def test_a_null_message_id_is_400_as_the_spec_says_it_is_a_string(load_app: LoadApp) -> None:
    host = await load_app()
    document = doc("null-id")

    posted = await post(host, ALICE, document, "hi", id=None)
    service = await host.call(
        "send_service_message",
        document_id=document,
        body={"text": "hi", "senderId": "bot", "senderName": None},
    )

    assert (posted.status_code, service.status_code) == (400, 400)
    assert "id: must be a string, not null" in body_of(posted)["error"]["message"]
    assert "senderName: must be a string, not null" in body_of(service)["error"]["message"]
    schema = spec(host)["components"]["schemas"]["SendMessageRequest"]["properties"]["id"]
    assert schema["type"] == "string"
    listed = await host.call("list_messages", document_id=document, headers=principal(ALICE))
    assert body_of(listed)["items"] == []


@pytest.mark.parametrize("function", ["list_messages", "list_members"])
async def test_an_empty_continuation_token_is_400_as_its_min_length_says(
    load_app: LoadApp, function: str
) -> None:
    host = await load_app(DOCCHAT_ACCESS="members")
    document = doc("empty-token")

    answer = await host.call(
        function,
        method="GET",
        document_id=document,
        headers=principal(ALICE),
        params={"continuationToken": ""},
    )

    assert answer.status_code == 400, answer.get_body()
    assert "continuationToken" in body_of(answer)["error"]["message"]
    path = "/service/documents/{documentId}/members" if function == "list_members" else None
    operation = spec(host)["paths"][path or "/documents/{documentId}/messages"]["get"]
    [token] = [p for p in operation["parameters"] if p.get("name") == "continuationToken"]
    assert token["schema"]["minLength"] == 1


async def test_leaving_with_another_users_connection_is_403_and_the_spec_lists_it(
    load_app: LoadApp, listen: Callable[..., Any]
) -> None:
    host = await load_app()
    document = doc("leave-403")
    bob = await listen(host, BOB, document)

    left = await membership(host, "leave_document", document, bob.connection_id, principal(ALICE))

    assert left.status_code == 403, left.get_body()
    assert "403" in spec(host)["paths"]["/documents/{documentId}/leave"]["post"]["responses"]
