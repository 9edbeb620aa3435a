"""The container infra/ creates is the one storage.cosmos.container would create with a key:
with Entra auth docchat cannot create it, so any difference would stay for good."""

from typing import Any

from azure.cosmos import PartitionKey

from storage.cosmos import notifications
from storage.cosmos.container import DEFAULT_TTL, INDEXING_POLICY, PARTITION_KEY_PATH
from storage.cosmos.settings import CosmosSettings
from tests.infra.bicep import INFRA, Opaque, Template

COSMOS = Template(INFRA / "app" / "cosmos.bicep")


def container_resource() -> dict[str, Any]:
    body = COSMOS.resource("container", {})
    assert isinstance(body, dict)
    resource = body["properties"]["resource"]
    assert isinstance(resource, dict)
    return resource


def test_the_partition_key_is_the_codes() -> None:
    assert container_resource()["partitionKey"] == dict(PartitionKey(path=PARTITION_KEY_PATH))


def test_the_indexing_policy_is_the_codes() -> None:
    assert container_resource()["indexingPolicy"] == INDEXING_POLICY


def test_time_to_live_is_on_as_in_the_code() -> None:
    assert container_resource()["defaultTtl"] == DEFAULT_TTL


def test_the_container_is_named_as_the_app_is_told() -> None:
    """main.bicep hands the same names to the container and to COSMOS_DATABASE/_CONTAINER."""
    assert container_resource()["id"] == Opaque("containerName")
    database = COSMOS.resource("database", {})
    assert isinstance(database, dict)
    assert database["properties"]["resource"]["id"] == Opaque("databaseName")

    main = Template(INFRA / "main.bicep")
    names = {"cosmosDatabaseName": "db-x", "cosmosContainerName": "container-x"}
    cosmos, settings = main.module("cosmos", names), main.module("settings", names)
    assert isinstance(cosmos, dict)
    assert isinstance(settings, dict)
    given = cosmos["params"]["databaseName"], cosmos["params"]["containerName"]
    told = settings["params"]["cosmosDatabase"], settings["params"]["cosmosContainer"]
    assert given == told == ("db-x", "container-x")


def test_the_account_is_serverless_and_keyless() -> None:
    account = COSMOS.resource("account", {})
    assert isinstance(account, dict)
    properties = account["properties"]
    assert properties["capabilities"] == [{"name": "EnableServerless"}]
    assert properties["disableLocalAuth"] is True
    assert properties["disableKeyBasedMetadataWriteAccess"] is True


def notifications_resource(ttl_days: int = 90) -> dict[str, Any]:
    body = COSMOS.resource("notificationsContainer", {"notificationTtlDays": ttl_days})
    assert isinstance(body, dict)
    resource = body["properties"]["resource"]
    assert isinstance(resource, dict)
    return resource


def test_the_notifications_container_is_made_as_the_code_makes_it() -> None:
    resource = notifications_resource()
    made = notifications.shape()
    assert resource["partitionKey"] == dict(PartitionKey(path=made.partition_key_path))
    assert resource["indexingPolicy"] == made.indexing_policy
    assert resource["id"] == Opaque("notificationsContainerName")


def test_notifications_expire_after_the_days_set_and_zero_keeps_them() -> None:
    """CosmosSettings.notification_ttl_seconds in Bicep: days x 86 400, or -1 for 0."""
    assert (
        notifications_resource(0)["defaultTtl"]
        == CosmosSettings("x", notification_ttl_days=0).notification_ttl_seconds
    )
    # The evaluator knows no arithmetic: the expression is the one the code computes.
    assert notifications_resource(90)["defaultTtl"] == Opaque("notificationTtlDays * 86400")


def test_the_notifications_container_is_named_and_timed_as_the_app_is_told() -> None:
    main = Template(INFRA / "main.bicep")
    names = {"cosmosNotificationsContainerName": "inbox-x", "notificationTtlDays": 30}
    cosmos, settings = main.module("cosmos", names), main.module("settings", names)
    assert isinstance(cosmos, dict)
    assert isinstance(settings, dict)
    given = cosmos["params"]["notificationsContainerName"], cosmos["params"]["notificationTtlDays"]
    told = (
        settings["params"]["cosmosNotificationsContainer"],
        settings["params"]["notificationTtlDays"],
    )
    assert given == told == ("inbox-x", 30)
    assert main.default("notificationTtlDays") == CosmosSettings("x").notification_ttl_days
    assert (
        main.default("cosmosNotificationsContainerName")
        == CosmosSettings("x").notifications_container
    )
