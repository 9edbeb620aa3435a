"""The webhook registry's endpoints in-process, over in-memory stores and queue: statuses,
bodies (the secret at creation only, never listed), refusals, and the failures' pages."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chat.api.http import Request, Response
from chat.api.routes import Endpoints
from chat.app.runtime import Runtime
from chat.app.webhooks import Answer, Outgoing
from chat.domain.webhooks import Address, Failure
from chat.settings import AuthMode, JwtSettings
from tests.fixtures.chat import InMemoryStorage, MemoryQueues, make_settings

PUBLIC = "https://hooks.example/in"


class Network:
    """``hooks.example`` is public; nothing is posted."""

    def addresses(self, host: str) -> list[Address]:
        return [ipaddress.ip_address("93.184.215.14")] if host == "hooks.example" else []

    def send(self, outgoing: Outgoing) -> Answer:
        raise AssertionError("the registry posts nothing")


def runtime(*, dev: bool = False, queue: bool = True) -> Runtime:
    settings = (
        make_settings()
        if dev
        else make_settings(auth=AuthMode.JWT, jwt=JwtSettings("i", "a", secret="s" * 32))
    )
    storage = InMemoryStorage(queues=MemoryQueues() if queue else None)
    return Runtime(settings, storage, webhook_network=Network)


def call(
    runtime: Runtime,
    operation: str,
    method: str,
    name: str | None = None,
    body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json"} if body is not None else {}
    route = {} if name is None else {"name": name}
    request = Request.of(method, headers, params or {}, route, raw)
    endpoint = getattr(Endpoints(runtime).webhooks, operation)
    response: Response = endpoint(request)
    return response


def put(runtime: Runtime, name: str = "crm", url: str = PUBLIC, **body: Any) -> Response:
    return call(runtime, "put", "PUT", name, {"url": url, "events": ["message.created"], **body})


def error_code(response: Response) -> tuple[int, str]:
    return response.status, response.body["error"]["code"]


def test_put_creates_with_the_secret_then_updates_without_it() -> None:
    app = runtime()

    created = put(app)
    updated = call(app, "put", "PUT", "crm", {"url": PUBLIC, "events": ["message.deleted"]})

    assert created.status == 201
    assert created.body["secret"].startswith("whsec_")
    assert set(created.body) == {"name", "url", "events", "createdAt", "secret"}
    assert updated.status == 200
    assert "secret" not in updated.body
    assert updated.body["events"] == ["message.deleted"]


def test_the_list_never_shows_a_secret() -> None:
    app = runtime()
    secret = put(app, "b").body["secret"]
    put(app, "a")

    listed = call(app, "list", "GET")

    assert listed.status == 200
    assert [item["name"] for item in listed.body["items"]] == ["a", "b"]
    assert secret not in json.dumps(listed.body)
    assert all("secret" not in item for item in listed.body["items"])


def test_delete_answers_204_then_404() -> None:
    app = runtime()
    put(app)

    assert call(app, "remove", "DELETE", "crm").status == 204
    assert error_code(call(app, "remove", "DELETE", "crm")) == (404, "webhook_not_found")
    assert error_code(call(app, "failures", "GET", "crm")) == (404, "webhook_not_found")


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/", "https://2130706433/", "https://[::1]/", "http://hooks.example/"]
)
def test_an_unsafe_url_is_a_400_saying_why_and_nothing_is_stored(url: str) -> None:
    app = runtime()

    refused = put(app, url=url)

    assert error_code(refused) == (400, "unsafe_webhook_url")
    assert refused.body["error"]["message"].startswith("url")
    assert call(app, "list", "GET").body["items"] == []


def test_the_metadata_address_is_refused_in_dev_mode_too() -> None:
    refused = put(runtime(dev=True), url="http://169.254.169.254/")

    assert error_code(refused) == (400, "unsafe_webhook_url")


@pytest.mark.parametrize(
    "body",
    [
        {"url": PUBLIC, "events": ["message.read"]},
        {"url": PUBLIC, "events": []},
        {"url": PUBLIC},
        {"url": PUBLIC, "events": ["message.created"], "secret": "whsec_mine"},
    ],
)
def test_a_bad_body_is_a_400(body: dict[str, Any]) -> None:
    assert error_code(call(runtime(), "put", "PUT", "crm", body)) == (400, "invalid_request")


def test_a_bad_name_is_a_400() -> None:
    assert error_code(put(runtime(), name="..")) == (400, "invalid_request")


def test_without_a_queue_every_route_is_a_409() -> None:
    app = runtime(queue=False)

    assert error_code(put(app)) == (409, "webhooks_not_enabled")
    assert error_code(call(app, "list", "GET")) == (409, "webhooks_not_enabled")
    assert error_code(call(app, "remove", "DELETE", "crm")) == (409, "webhooks_not_enabled")


def test_failures_come_newest_first_in_pages() -> None:
    storage = InMemoryStorage(queues=MemoryQueues())
    app = Runtime(make_settings(), storage, webhook_network=Network)
    put(app)
    webhook = storage.webhooks.webhooks["crm"]
    start = datetime(2026, 12, 7, 9, tzinfo=UTC)
    for n in range(3):
        failure = Failure(
            f"msg_{n}",
            f"o{n}.0",
            "message.created",
            None,
            "timed out",
            8,
            start + timedelta(minutes=n),
        )
        storage.webhooks.record_failure(webhook, failure)

    first = call(app, "failures", "GET", "crm", params={"limit": "2"})
    token = first.body["continuationToken"]
    second = call(app, "failures", "GET", "crm", params={"limit": "2", "continuationToken": token})

    assert [item["eventId"] for item in first.body["items"]] == ["o2.0", "o1.0"]
    assert first.body["items"][0] == {
        "webhookId": "msg_2",
        "eventId": "o2.0",
        "type": "message.created",
        "lastStatus": None,
        "lastError": "timed out",
        "tries": 8,
        "failedAt": "2026-12-07T09:02:00+00:00",
    }
    assert [item["eventId"] for item in second.body["items"]] == ["o0.0"]
    assert second.body["continuationToken"] is None
    forged = call(app, "failures", "GET", "crm", params={"continuationToken": "f1.nope"})
    assert error_code(forged) == (400, "invalid_request")
