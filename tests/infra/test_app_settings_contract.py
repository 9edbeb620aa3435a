"""The app settings infra/ gives the function app are exactly the ones docchat reads.

The app's start-up is the authority on what docchat reads (chat.settings and
realtime.settings, through functions.create_app): each combination of modes is loaded
through an environment that records every name asked for, and the template, evaluated for
the same modes, must set exactly those, apart from the names listed below with the reason.
A new setting in chat.settings, or one the template sets that nothing reads, fails here.
"""

from collections.abc import Iterator, Mapping

import pytest

from chat import settings as chat_settings
from chat.settings import SettingsError
from functions import create_app
from realtime.settings import HUB, SIGNALR_CONNECTION_SETTING
from tests.infra.bicep import INFRA, Opaque, Template

SETTINGS = Template(INFRA / "app" / "settings.bicep")
MAIN = Template(INFRA / "main.bicep")

#: Read by the Functions host and the Azure SDKs, not by docchat: host storage over Entra
#: (blob only), telemetry over Entra, and the identity DefaultAzureCredential picks.
RUNTIME = {
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "AZURE_CLIENT_ID",
}
#: The SignalR connection in the extension's identity-based form: the extension reads it in
#: bindings mode, and docchat in rest mode (after finding no plain connection string).
SIGNALR_SECTION = {
    f"{SIGNALR_CONNECTION_SETTING}__serviceUri",
    f"{SIGNALR_CONNECTION_SETTING}__credential",
    f"{SIGNALR_CONNECTION_SETTING}__clientId",
}
#: Set by App Service itself in Azure, never by the template.
PLATFORM = {"WEBSITE_INSTANCE_ID", "WEBSITE_AUTH_ENABLED"}
#: Keyless: without a key docchat signs in to Cosmos DB with the identity.
NO_KEY = {"COSMOS_KEY"}
#: jwt mode takes the issuer's JWKS URL: no shared secret or copied key in app settings.
OTHER_JWT_KEYS = {"DOCCHAT_JWT_SECRET", "DOCCHAT_JWT_PUBLIC_KEY"}
#: The Web PubSub block (issue 13): names as the Web PubSub extension reads them.
WEB_PUBSUB_BLOCK = {
    "DOCCHAT_REALTIME",
    "WebPubSubConnectionString__serviceUri",
    "WebPubSubConnectionString__credential",
    "WebPubSubConnectionString__clientId",
    "WebPubSubHub",
}
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
    "WEBSITE_INSTANCE_ID": "0123abcd",
}

COMBINATIONS = [
    (auth, mode, access)
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


def template_settings(
    auth: str, mode: str, access: str, backend: str = "signalr"
) -> dict[str, object]:
    """The app settings main.bicep's defaults and these modes give the function app."""
    limits = ("maxMessageLength", "postsPerMinute", "postBurst")
    params: dict[str, object] = {name: MAIN.default(name) for name in limits}
    params |= {"authMode": auth, "signalrMode": mode, "accessMode": access}
    params["realtimeBackend"] = backend
    result = SETTINGS.output("appSettings", params)
    assert isinstance(result, dict)
    return result


def read_by_docchat(template: Mapping[str, object], auth: str) -> set[str]:
    """Start the app on the template's values (samples where Azure fills them in) as App
    Service runs it, and return every name it read."""
    values = {**SAMPLE_VALUES, "WEBSITE_AUTH_ENABLED": str(auth == "appservice")}
    values |= {name: value for name, value in template.items() if isinstance(value, str)}
    environ = RecordingEnviron(values)
    create_app(environ)
    return environ.read


@pytest.mark.parametrize(("auth", "mode", "access"), COMBINATIONS)
def test_the_template_sets_exactly_what_docchat_reads(auth: str, mode: str, access: str) -> None:
    template = template_settings(auth, mode, access)
    read = read_by_docchat(template, auth)

    not_in_template = PLATFORM | NO_KEY
    if auth == "jwt":
        not_in_template |= OTHER_JWT_KEYS
    if mode == "rest":
        not_in_template |= {SIGNALR_CONNECTION_SETTING}
        assert read >= SIGNALR_SECTION
    assert read - set(template) == not_in_template
    assert set(template) == (read - not_in_template) | RUNTIME | SIGNALR_SECTION


@pytest.mark.parametrize(("auth", "mode", "access"), COMBINATIONS)
def test_the_template_sets_each_mode_as_chosen(auth: str, mode: str, access: str) -> None:
    template = template_settings(auth, mode, access)
    assert (template["DOCCHAT_AUTH"], template["DOCCHAT_SIGNALR_MODE"]) == (auth, mode)
    assert template["DOCCHAT_ACCESS"] == access
    assert template[f"{SIGNALR_CONNECTION_SETTING}__credential"] == "managedidentity"
    # Each connection names the one identity; the values come from the deployment.
    for name in ("AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID"):
        assert template[name] == Opaque("identityClientId")


def test_the_web_pubsub_block_replaces_the_signalr_connection() -> None:
    signalr = template_settings("appservice", "rest", "open", backend="signalr")
    web_pubsub = template_settings("appservice", "rest", "open", backend="webpubsub")
    assert set(web_pubsub) == set(signalr) - SIGNALR_SECTION | WEB_PUBSUB_BLOCK
    assert web_pubsub["DOCCHAT_REALTIME"] == "webpubsub"
    assert web_pubsub["WebPubSubHub"] == HUB


def test_chat_settings_reads_no_web_pubsub_setting_yet() -> None:
    """When this fails, issue 13 has landed: align the template's Web PubSub block with
    the names chat.settings reads, then turn this into a contract like the one above."""
    template = template_settings("appservice", "rest", "open", backend="webpubsub")
    read = read_by_docchat(template, "appservice")
    assert not read & WEB_PUBSUB_BLOCK


def test_the_templates_defaults_are_docchats() -> None:
    defaults = chat_settings.Settings(auth=chat_settings.AuthMode.JWT, cosmos_endpoint="https://x")
    assert MAIN.default("maxMessageLength") == chat_settings.DEFAULT_MAX_MESSAGE_LENGTH
    assert MAIN.default("postsPerMinute") == chat_settings.DEFAULT_POSTS_PER_MINUTE
    assert MAIN.default("postBurst") == chat_settings.DEFAULT_POST_BURST
    assert MAIN.default("cosmosDatabaseName") == defaults.cosmos_database
    assert MAIN.default("cosmosContainerName") == defaults.cosmos_container


def test_docchat_refuses_the_one_combination_the_template_could_still_be_given() -> None:
    """bindings mode with jwt is refused at start-up, so docs/deploy.md rules it out."""
    template = template_settings("jwt", "bindings", "open")
    values = {**SAMPLE_VALUES, "WEBSITE_AUTH_ENABLED": "False"}
    values |= {name: value for name, value in template.items() if isinstance(value, str)}
    with pytest.raises(SettingsError, match="DOCCHAT_SIGNALR_MODE=bindings"):
        create_app(values)
