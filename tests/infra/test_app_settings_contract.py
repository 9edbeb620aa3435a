"""The app settings infra/ gives the function app are exactly the ones docchat reads.

The app's start-up is the authority on what docchat reads (chat.settings and
realtime.settings, through functions.create_app): each combination of modes is loaded
through an environment that records every name asked for, and the template, evaluated for
the same modes, must set exactly those, apart from the names listed below with the reason.
A new setting in chat.settings, or one the template sets that nothing reads, fails here.
"""

import json
from collections.abc import Iterator, Mapping

import pytest

from chat import settings as chat_settings
from chat.settings import SettingsError
from functions import create_app
from realtime.settings import HUB, SIGNALR_CONNECTION_SETTING, Delivery
from realtime.webpubsub_settings import WEBPUBSUB_CONNECTION_SETTING
from storage.cosmos.settings import CosmosSettings
from tests.infra.bicep import INFRA, Opaque, Template

SETTINGS = Template(INFRA / "app" / "settings.bicep")
MAIN = Template(INFRA / "main.bicep")

#: Read by the Functions host, the Python worker and the Azure SDKs, not by docchat: host
#: storage over Entra (blob only), telemetry over Entra, the identity DefaultAzureCredential
#: picks, and the worker's thread count.
RUNTIME = {
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AZURE_CLIENT_ID",
    # The Python worker's sync thread pool (azure-functions-python-worker dispatcher.py).
    "PYTHON_THREADPOOL_THREAD_COUNT",
}
#: The work queues' identity-based connection (storage/queues.py): read by the Storage Queues
#: extension as the queue triggers' ``connection``, and by docchat (create_app loads the
#: queues), which first looks for ``DOCCHAT_QUEUE``: a connection string, for Azurite, never
#: set in Azure.
QUEUE_STRING = {"DOCCHAT_QUEUE"}
QUEUE_CONNECTION = {
    "DOCCHAT_QUEUE__queueServiceUri",
    "DOCCHAT_QUEUE__credential",
    "DOCCHAT_QUEUE__clientId",
}
#: Each backend's mode setting, connection setting, and its connection in the extension's
#: identity-based form: the extension reads the section in bindings mode, and docchat in rest
#: mode (after finding no plain connection string).
BACKENDS = {
    "signalr": ("DOCCHAT_SIGNALR_MODE", SIGNALR_CONNECTION_SETTING),
    "webpubsub": ("DOCCHAT_WEBPUBSUB_MODE", WEBPUBSUB_CONNECTION_SETTING),
}


def identity_section(connection: str) -> set[str]:
    return {f"{connection}__serviceUri", f"{connection}__credential", f"{connection}__clientId"}


#: Set by App Service itself in Azure, never by the template.
PLATFORM = {"WEBSITE_INSTANCE_ID", "WEBSITE_AUTH_ENABLED"}
#: Keyless: without a key docchat signs in to Cosmos DB with the identity.
NO_KEY = {"COSMOS_KEY"}
#: The console trace line is for ``make dev``; in Azure telemetry goes to Application Insights.
LOCAL_TRACE = {"DOCCHAT_TRACE"}
#: jwt mode takes the issuer's JWKS URL: no shared secret or copied key in app settings.
OTHER_JWT_KEYS = {"DOCCHAT_JWT_SECRET", "DOCCHAT_JWT_PUBLIC_KEY"}
#: SignalR's upstream token is checked against the tenant's JWKS, not a copied key.
OTHER_UPSTREAM_KEYS = {"DOCCHAT_UPSTREAM_PUBLIC_KEY"}
#: With Web PubSub docchat only looks whether an upstream token check is asked for (it
#: checks SignalR's alone), and the template asks for none.
NO_UPSTREAM_CHECK = {"DOCCHAT_UPSTREAM_AUDIENCE"}
#: A valid value for each setting the template leaves to the deployment.
SAMPLE_VALUES = {
    "COSMOS_ENDPOINT": "https://cosmos-x.documents.azure.com:443/",
    "COSMOS_DATABASE": "docchat",
    "COSMOS_CONTAINER": "messages",
    "DOCCHAT_JWT_ISSUER": "https://login.example/tenant/v2.0",
    "DOCCHAT_JWT_AUDIENCE": "api://docchat",
    "DOCCHAT_JWT_JWKS_URL": "https://login.example/tenant/discovery/v2.0/keys",
    f"{SIGNALR_CONNECTION_SETTING}__serviceUri": "https://sigr-x.service.signalr.net",
    f"{SIGNALR_CONNECTION_SETTING}__clientId": "sample-client-id",
    f"{WEBPUBSUB_CONNECTION_SETTING}__serviceUri": "https://wps-x.webpubsub.azure.com",
    f"{WEBPUBSUB_CONNECTION_SETTING}__clientId": "sample-client-id",
    "WEBSITE_INSTANCE_ID": "0123abcd",
    "DOCCHAT_UPSTREAM_AUDIENCE": "api://docchat",
    "DOCCHAT_UPSTREAM_ISSUER": "https://sts.windows.net/tenant/",
    "DOCCHAT_UPSTREAM_JWKS_URL": "https://login.example/tenant/discovery/v2.0/keys",
    "DOCCHAT_UPSTREAM_PRINCIPAL_ID": "sample-principal-id",
}

COMBINATIONS = [
    (backend, auth, mode, access)
    for backend in BACKENDS
    for auth in ("appservice", "jwt")
    for mode in ("rest", "bindings")
    for access in ("open", "members")
    if (auth, mode) != ("jwt", "bindings")  # refused by chat.settings: see the last test
]


class RecordingEnviron(Mapping[str, str]):
    """An environment that remembers every name asked for, present or not."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the settings must name each setting they read")

    def __len__(self) -> int:
        return len(self._values)


def template_settings(backend: str, auth: str, mode: str, access: str) -> dict[str, object]:
    """The app settings main.bicep's defaults and these modes give the function app."""
    limits = ("maxMessageLength", "postsPerMinute", "postBurst", "messageTtlDays")
    params: dict[str, object] = {name: MAIN.default(name) for name in limits}
    params |= {"authMode": auth, "realtimeMode": mode, "accessMode": access}
    params["realtimeBackend"] = backend
    result = SETTINGS.output("appSettings", params)
    assert isinstance(result, dict)
    return result


def app_environment(template: Mapping[str, object], auth: str) -> dict[str, str]:
    """The template's values as App Service gives them to the app (samples where Azure
    fills them in)."""
    # The upstream token's samples stand for values only the SignalR template has.
    samples = {
        name: value
        for name, value in SAMPLE_VALUES.items()
        if not name.startswith("DOCCHAT_UPSTREAM_") or name in template
    }
    values = {**samples, "WEBSITE_AUTH_ENABLED": str(auth == "appservice")}
    return values | {name: value for name, value in template.items() if isinstance(value, str)}


def read_by_docchat(template: Mapping[str, object], auth: str) -> set[str]:
    """Start the app on the template's values as App Service runs it, and return every
    name it read."""
    environ = RecordingEnviron(app_environment(template, auth))
    create_app(environ)
    return environ.read


@pytest.mark.parametrize(("backend", "auth", "mode", "access"), COMBINATIONS)
def test_the_template_sets_exactly_what_docchat_reads(
    backend: str, auth: str, mode: str, access: str
) -> None:
    template = template_settings(backend, auth, mode, access)
    read = read_by_docchat(template, auth)
    _, connection = BACKENDS[backend]

    not_in_template = PLATFORM | NO_KEY | QUEUE_STRING | LOCAL_TRACE
    if auth == "jwt":
        not_in_template |= OTHER_JWT_KEYS
    not_in_template |= OTHER_UPSTREAM_KEYS if backend == "signalr" else NO_UPSTREAM_CHECK
    if mode == "rest":
        not_in_template |= {connection}
        assert read >= identity_section(connection)
    assert read - set(template) == not_in_template
    assert set(template) == (
        (read - not_in_template) | RUNTIME | identity_section(connection) | QUEUE_CONNECTION
    )


@pytest.mark.parametrize(("backend", "auth", "mode", "access"), COMBINATIONS)
def test_the_template_sets_each_mode_as_chosen(
    backend: str, auth: str, mode: str, access: str
) -> None:
    template = template_settings(backend, auth, mode, access)
    mode_setting, connection = BACKENDS[backend]
    assert template["DOCCHAT_REALTIME"] == backend
    assert (template["DOCCHAT_AUTH"], template[mode_setting]) == (auth, mode)
    assert template["DOCCHAT_ACCESS"] == access
    assert template[f"{connection}__credential"] == "managedidentity"
    # Each connection names the one identity; the values come from the deployment.
    for name in (f"{connection}__clientId", "AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID"):
        assert template[name] == Opaque("identityClientId")
    assert template["DOCCHAT_QUEUE__credential"] == "managedidentity"
    assert template["DOCCHAT_QUEUE__clientId"] == Opaque("identityClientId")
    assert template["DOCCHAT_QUEUE__queueServiceUri"] == Opaque("storageQueueEndpoint")


def test_web_pubsub_gets_the_hub_docchat_uses() -> None:
    assert template_settings("webpubsub", "appservice", "rest", "open")["WebPubSubHub"] == HUB


def test_the_templates_defaults_are_docchats() -> None:
    defaults = CosmosSettings(endpoint="https://x")
    assert MAIN.default("maxMessageLength") == chat_settings.DEFAULT_MAX_MESSAGE_LENGTH
    assert MAIN.default("postsPerMinute") == chat_settings.DEFAULT_POSTS_PER_MINUTE
    assert MAIN.default("postBurst") == chat_settings.DEFAULT_POST_BURST
    assert MAIN.default("messageTtlDays") == defaults.message_ttl_days
    assert MAIN.default("cosmosDatabaseName") == defaults.database
    assert MAIN.default("cosmosContainerName") == defaults.container


def test_what_deploys_by_default_is_the_mode_make_dev_runs_and_the_tests_test() -> None:
    """azd's default real-time mode (main.parameters.json, then main.bicep) is docchat's own
    default, which local.settings.json.example and the integration tests run: rest."""
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    example = json.loads((INFRA.parent / "local.settings.json.example").read_text())["Values"]
    assert MAIN.default("realtimeMode") == Delivery.REST
    assert parameters["realtimeMode"]["value"] == "${DOCCHAT_REALTIME_MODE=rest}"
    assert example["DOCCHAT_SIGNALR_MODE"] == Delivery.REST


@pytest.mark.parametrize("backend", BACKENDS)
def test_jwt_sign_in_as_the_settings_table_offers_it_starts_with_the_default_mode(
    backend: str,
) -> None:
    """``azd env set DOCCHAT_AUTH jwt`` and the three DOCCHAT_JWT_* settings, nothing else:
    the app starts (keyless rest mode; the keyless tests serve it end to end)."""
    template = template_settings(backend, "jwt", str(MAIN.default("realtimeMode")), "open")
    create_app(app_environment(template, "jwt"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_docchat_refuses_the_one_combination_the_template_could_still_be_given(
    backend: str,
) -> None:
    """bindings mode with jwt is refused at start-up, so docs/deploy.md rules it out."""
    template = template_settings(backend, "jwt", "bindings", "open")
    mode_setting, _ = BACKENDS[backend]
    with pytest.raises(SettingsError, match=f"{mode_setting}=bindings"):
        create_app(app_environment(template, "jwt"))


@pytest.mark.parametrize("auth", ["appservice", "jwt"])
def test_signalr_signs_its_upstream_for_the_audience_docchat_checks(auth: str) -> None:
    """The extension checks nothing on an identity-based connection, so the upstream carries
    the service's token (auth: ManagedIdentity, written by the wire-realtime hook from the
    REALTIME_UPSTREAM_AUDIENCE output) and docchat checks it (DOCCHAT_UPSTREAM_*)."""
    params = {"authMode": auth, "authClientId": "app-client-id", "jwtAudience": "api://docchat"}
    audience = MAIN.variable("upstreamAudience", params)
    assert audience == ("app-client-id" if auth == "appservice" else "api://docchat")
    assert MAIN.output("REALTIME_UPSTREAM_AUDIENCE", params) == audience
    signalr_params: dict[str, object] = {
        "name": "sigr",
        "location": "l",
        "tags": {},
        "sku": "Standard_S1",
    }
    signalr_params |= {"units": 1, "allowedOrigins": [], "principalId": "p"}
    signalr_params |= {"identityId": "identity"}
    signalr = Template(INFRA / "app" / "signalr.bicep").resource("signalr", signalr_params)
    assert isinstance(signalr, dict)
    assert signalr["identity"]["type"] == "UserAssigned"
    settings = template_settings("signalr", auth, "rest", "open")
    assert settings["DOCCHAT_UPSTREAM_PRINCIPAL_ID"] == Opaque("identityPrincipalId")
    assert settings["DOCCHAT_UPSTREAM_AUDIENCE"] == Opaque("upstreamAudience")
