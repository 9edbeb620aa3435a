"""What infra/ deploys is keyless and hosted as the issue asks: no resource accepts a key,
every connection is the one user-assigned identity, nothing secret leaves as an output,
and the app runs on Flex Consumption with Python 3.11."""

import re
from typing import Any

import pytest

from tests.infra.bicep import INFRA, Opaque, Template

MAIN = Template(INFRA / "main.bicep")
API = Template(INFRA / "app" / "api.bicep")


def evaluated(value: object) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def test_storage_and_telemetry_refuse_keys() -> None:
    storage = evaluated(MAIN.module("storage", {}))["params"]
    assert storage["allowSharedKeyAccess"] is False
    assert storage["allowBlobPublicAccess"] is False
    assert evaluated(MAIN.module("appInsights", {}))["params"]["disableLocalAuth"] is True


@pytest.mark.parametrize(
    ("file", "symbol"), [("signalr.bicep", "signalr"), ("webpubsub.bicep", "webPubSub")]
)
def test_the_real_time_service_refuses_keys(file: str, symbol: str) -> None:
    properties = evaluated(Template(INFRA / "app" / file).resource(symbol, {}))["properties"]
    assert properties["disableLocalAuth"] is True
    assert properties["disableAadAuth"] is False


def test_signalr_is_serverless_with_cors() -> None:
    """Its upstream is wired after deployment (tests/infra/test_wire_realtime_hook.py)."""
    signalr = Template(INFRA / "app" / "signalr.bicep")
    properties = evaluated(signalr.resource("signalr", {}))["properties"]
    assert {"flag": "ServiceMode", "value": "Serverless"} in properties["features"]
    assert properties["cors"] == {"allowedOrigins": Opaque("allowedOrigins")}


def test_web_pubsub_has_hub_documents_for_token_holders_only() -> None:
    """Its event handler is wired after deployment (tests/infra/test_wire_realtime_hook.py)."""
    web_pubsub = Template(INFRA / "app" / "webpubsub.bicep")
    hub = evaluated(web_pubsub.resource("documents", {}))
    assert hub["name"] == "documents"
    assert hub["properties"]["anonymousConnectPolicy"] == "Deny"


def test_the_app_runs_python_3_11_on_flex_consumption_with_one_identity() -> None:
    plan = evaluated(MAIN.module("plan", {}))["params"]
    assert (plan["skuName"], plan["reserved"]) == ("FC1", True)
    site = evaluated(API.module("site", {}))["params"]
    assert site["functionAppConfig"]["runtime"] == {"name": "python", "version": "3.11"}
    deployment = site["functionAppConfig"]["deployment"]["storage"]["authentication"]
    assert deployment == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": Opaque("identityId"),
    }
    assert site["managedIdentities"] == {"userAssignedResourceIds": [Opaque("identityId")]}


@pytest.mark.parametrize(("auth", "with_auth_settings"), [("appservice", True), ("jwt", False)])
def test_app_service_authentication_is_on_exactly_for_appservice(
    auth: str, with_auth_settings: bool
) -> None:
    configs = evaluated(API.module("site", {"authMode": auth}))["params"]["configs"]
    assert [config["name"] for config in configs] == ["appsettings"] + (
        ["authsettingsV2"] if with_auth_settings else []
    )
    # The template's settings replace the app's: none from an earlier mode lingers.
    assert configs[0]["retainCurrentAppSettings"] is False
    if with_auth_settings:
        properties = configs[1]["properties"]
        assert properties["platform"] == {"enabled": True}
        # docchat answers anonymous callers itself; service routes and webhooks carry no user.
        assert properties["globalValidation"]["unauthenticatedClientAction"] == "AllowAnonymous"


def test_no_output_carries_a_secret() -> None:
    for name, node in MAIN.outputs.items():
        expression = (node.text or b"").decode()
        assert not re.search(r"(?i)list\w*\(|key|secret|password|connectionstring", expression)
        assert not re.search(r"(?i)key|secret|password", name), name
