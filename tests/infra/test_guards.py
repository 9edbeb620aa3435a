"""Guards in infra/main.bicep: a sign-in mode without its app registration stops at
provisioning with a message; azd asks for a region that offers Flex Consumption; and the
storage module keeps its soft delete although docchat passes blobServices."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.infra.bicep import INFRA, DeploymentFailure, Opaque, Template
from tests.infra.interfaces import avm_modules

MAIN = Template(INFRA / "main.bicep")
GUARDS = Template(INFRA / "app" / "guards.bicep")
#: The regions that offer Flex Consumption, as Azure-Samples/functions-quickstart-python-http-azd
#: lists them in infra/main.bicep (commit 947c194f9f054913f3c5fcd81b0a9a506f072783), less the
#: canary region eastus2euap, which needs enrolment.
FLEX_CONSUMPTION_REGIONS = [
    *("australiaeast", "australiasoutheast", "brazilsouth", "canadacentral", "centralindia"),
    *("centralus", "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral"),
    *("italynorth", "japaneast", "koreacentral", "northcentralus", "northeurope", "norwayeast"),
    *("southafricanorth", "southcentralus", "southeastasia", "southindia", "spaincentral"),
    *("swedencentral", "uaenorth", "uksouth", "ukwest", "westcentralus", "westeurope"),
    *("westus", "westus2", "westus3"),
]
STORAGE = "avm/res/storage/storage-account:0.33.0"


def test_appservice_without_a_client_id_stops_provisioning_with_what_to_do() -> None:
    with pytest.raises(DeploymentFailure, match="AUTH_CLIENT_ID") as failure:
        GUARDS.output("signInClientId", {"authMode": "appservice", "authClientId": ""})
    assert "DOCCHAT_AUTH=appservice" in str(failure.value)


@pytest.mark.parametrize(
    ("auth", "client_id"), [("appservice", "11111111-2222-3333-4444-555555555555"), ("jwt", "")]
)
def test_a_client_id_or_jwt_provisions(auth: str, client_id: str) -> None:
    params = {"authMode": auth, "authClientId": client_id}
    assert GUARDS.output("signInClientId", params) == client_id


def test_the_app_gets_the_checked_client_id() -> None:
    guards, api = MAIN.module("guards", {}), MAIN.module("api", {})
    assert isinstance(guards, dict)
    assert isinstance(api, dict)
    assert guards["params"] == {"authMode": "appservice", "authClientId": ""}
    assert api["params"]["authClientId"] == Opaque("guards.outputs.signInClientId")


def test_azd_asks_for_a_region_that_offers_flex_consumption() -> None:
    assert MAIN.decorator("location", "metadata") == {"azd": {"type": "location"}}
    assert MAIN.decorator("location", "allowed") == FLEX_CONSUMPTION_REGIONS


def test_blob_services_keep_the_storage_modules_soft_delete() -> None:
    """The module's blobServices default (storage-account main.json at its tag) turns on blob
    and container soft delete; a blobServices given replaces it whole."""
    default = avm_modules()[STORAGE]["parameters"]["blobServices"]["default"]
    settings = dict(_create_object_pairs(default))
    assert settings["deleteRetentionPolicyEnabled"] is True
    assert settings["containerDeleteRetentionPolicyEnabled"] is True
    storage = MAIN.module("storage", {})
    assert isinstance(storage, dict)
    given: dict[str, Any] = storage["params"]["blobServices"]
    assert {name: given.get(name) for name in settings} == settings


def _create_object_pairs(expression: str) -> list[tuple[str, object]]:
    """``createObject('a', true(), 'b', 7)`` in a compiled default, as pairs."""
    inner = re.search(r"createObject\(([^()]*(?:\(\)[^()]*)*)\)", expression)
    assert inner, expression
    items = [item.strip() for item in inner[1].split(",")]
    values = {"true()": True, "false()": False}
    return [
        (name.strip("'"), values.get(value, int(value) if value.isdigit() else value))
        for name, value in zip(items[::2], items[1::2], strict=True)
    ]
