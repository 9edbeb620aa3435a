"""The local stack with ``DOCCHAT_REALTIME=webpubsub``: the Web PubSub emulator in place of the
SignalR one, its connection string handed to the app, its events sent to the app host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.host.keys import FUNCTION_KEY_SETTING
from devstack.stack import (
    WEBPUBSUB_SETTING,
    LocalStack,
    free_port,
    missing_prerequisites,
    port_is_free,
)
from shared.connection_string import parse_connection_string
from tests.devstack.host_apps.serving import app_path
from tests.fixtures.webpubsub_client import NodeWebPubSubClient

#: Negotiates with webPubSubConnection and answers the ``typing`` user event (hub ``chat``).
WEBPUBSUB_APP = app_path("webpubsub_app")
WEBPUBSUB = {"DOCCHAT_REALTIME": "webpubsub"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    logs = tmp_path_factory.mktemp("logs")
    with LocalStack(app=WEBPUBSUB_APP, log_dir=logs, settings_overrides=WEBPUBSUB) as running:
        yield running


def test_the_stack_runs_the_webpubsub_emulator_instead_of_signalr(stack: LocalStack) -> None:
    assert [child.name for child in stack.children] == ["cosmos", "azurite", "webpubsub", "host"]
    assert port_is_free(stack.signalr_port)
    endpoint = parse_connection_string(stack.webpubsub_connection_string).service_url
    assert endpoint == f"http://localhost:{stack.webpubsub_port}"
    assert "event handler: http://127.0.0.1:" in (stack.log_dir / "webpubsub.log").read_text()


async def test_clients_connect_and_their_events_reach_the_app_host(stack: LocalStack) -> None:
    negotiated = await asyncio.to_thread(
        requests.post, f"{stack.base_url}/api/negotiate", params={"userId": "ann"}, timeout=10
    )
    assert negotiated.status_code == 200, negotiated.text
    url = negotiated.json()["url"]
    assert url.startswith(f"ws://localhost:{stack.webpubsub_port}/client/hubs/chat?access_token=")
    async with NodeWebPubSubClient.connect(url) as ann:
        assert ann.user_id == "ann"
        # A user event goes upstream to the host's webhook, whose function answers it.
        sent = await ann.command("sendEvent", event="typing", data={"doc": 1})
        assert sent["error"] is None
        reply = await ann.next_event("server-message")
        # The function gets the data as its JSON text, as in Azure (BinaryDataJsonConverter).
        assert json.loads(reply["data"]["echo"]) == {"doc": 1}
        assert reply["data"]["user"] == "ann"


def test_the_host_is_given_the_emulators_connection_string(tmp_path: Path) -> None:
    with LocalStack(app=WEBPUBSUB_APP, log_dir=tmp_path, settings_overrides=WEBPUBSUB) as stack:
        host = stack.child("host")
        assert host.env[WEBPUBSUB_SETTING] == stack.webpubsub_connection_string


def test_the_environment_picks_the_backend_as_it_does_for_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Core Tools and the dev host let an environment variable win over the settings file."""
    monkeypatch.setenv("DOCCHAT_REALTIME", "webpubsub")
    assert LocalStack().uses_webpubsub
    assert not LocalStack(settings_overrides={"DOCCHAT_REALTIME": "signalr"}).uses_webpubsub


def test_the_webpubsub_upstream_is_the_host_webhook_with_the_function_key() -> None:
    """The events docchat handles plus the abuse-protection check, as infra/ configures them;
    the local function key stands in for the ``webpubsub_extension`` system key."""
    overrides = {**WEBPUBSUB, FUNCTION_KEY_SETTING: "a key/with+signs"}
    stack = LocalStack(port=7999, settings_overrides=overrides)
    assert stack.webpubsub_upstream == (
        "http://127.0.0.1:7999/runtime/webhooks/webpubsub?code=a%20key/with%2Bsigns"
        " event=connected,disconnected,typing,validate"
    )


def test_a_missing_web_pubsub_client_is_named_with_its_fix(tmp_path: Path) -> None:
    packages = ("@vercel/cosmosdb-server", "@microsoft/signalr", "esbuild")
    for package in packages:
        folder = tmp_path / "node_modules" / package
        folder.mkdir(parents=True)
        (folder / "package.json").write_text("{}")
    assert missing_prerequisites(tmp_path, {}) == []
    assert missing_prerequisites(tmp_path, {"dev host": free_port()}, webpubsub=True) == [
        f"node_modules lacks @azure/web-pubsub-client: run `npm ci` in {tmp_path}"
    ]
