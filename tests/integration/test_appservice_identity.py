"""``DOCCHAT_AUTH=appservice`` served as in Azure (issue 26, finding 5): the user is the one
the signed principal's claims name, never the one ``X-MS-CLIENT-PRINCIPAL-ID`` names. (That
the mode does not start where App Service Authentication is not proven on is
test_chat_settings'.)"""

from __future__ import annotations

import base64
import json

from tests.integration.chat_calls import body_of, doc
from tests.integration.conftest import LoadApp

OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def principal(object_id: str, name: str) -> str:
    """``X-MS-CLIENT-PRINCIPAL`` as App Service Authentication issues it for Entra ID."""
    claims = [{"typ": OID, "val": object_id}, {"typ": "name", "val": name}]
    value = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return base64.b64encode(json.dumps(value).encode()).decode()


async def test_the_sender_is_the_principals_object_id_and_a_forged_id_header_is_401(
    load_app: LoadApp,
) -> None:
    host = await load_app(DOCCHAT_AUTH="appservice", WEBSITE_AUTH_ENABLED="True")
    document = doc("appservice")
    signed = principal("0c1d2e3f-oid", "Ann Example")

    genuine = await host.call(
        "send_message",
        document_id=document,
        headers={"X-MS-CLIENT-PRINCIPAL": signed, "X-MS-CLIENT-PRINCIPAL-ID": "0c1d2e3f-oid"},
        body={"text": "hi"},
    )
    without_id_header = await host.call(
        "send_message",
        document_id=document,
        headers={"X-MS-CLIENT-PRINCIPAL": signed},
        body={"text": "hi again"},
    )
    forged = await host.call(
        "send_message",
        document_id=document,
        headers={"X-MS-CLIENT-PRINCIPAL": signed, "X-MS-CLIENT-PRINCIPAL-ID": "admin"},
        body={"text": "as admin"},
    )

    assert genuine.status_code == 201, genuine.get_body()
    assert (body_of(genuine)["senderId"], body_of(genuine)["senderName"]) == (
        "0c1d2e3f-oid",
        "Ann Example",
    )
    # App Service sends both headers: one alone did not come through it.
    assert (without_id_header.status_code, forged.status_code) == (401, 401)
