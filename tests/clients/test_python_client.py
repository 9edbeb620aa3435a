"""The Python client (clients/python) on httpx's MockTransport: what it sends, how it reads
answers into models and typed errors, its retries of 429 and 503 after Retry-After within
a deadline (on a fake clock: no test waits), paging, credentials and webhook verification.
The same against the real stack: test_python_client_stack.py."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from docchat_client import (
    AsyncDocchatClient,
    BearerUser,
    Conflict,
    DevUser,
    DocchatClient,
    InvalidRequest,
    NotFound,
    RateLimited,
    RetryPolicy,
    ServiceUnavailable,
    TransportError,
    Unauthorized,
    UnexpectedAnswer,
    WebhookVerificationError,
    default_scope,
    verify_webhook,
)
from standardwebhooks import Webhook as Signer

BASE = "https://docchat.example"
KEY = "unit-test-function-key"
ROOT = Path(__file__).resolve().parents[2]


def message_json(message_id: str = "m1", seq: int = 1, **fields: Any) -> dict[str, Any]:
    """A message as docchat answers one."""
    return {
        "id": message_id,
        "documentId": "doc",
        "senderId": "bot",
        "senderName": "Bot",
        "text": "hello",
        "createdAt": "2026-12-07T06:30:00.000Z",
        "seq": seq,
        "position": seq,
        "cursor": f"cursor-{seq}",
        "editedAt": None,
        "deleted": False,
        "reactions": {},
        "mentions": [],
        "threadId": None,
        "thread": None,
        "anchor": None,
        **fields,
    }


def failure(status: int, code: str, retry_after: int | None = None, **facts: Any) -> httpx.Response:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    body = {"error": {"code": code, "message": f"{code} happened", **facts}}
    return httpx.Response(status, json=body, headers=headers)


Answer = httpx.Response | Exception


@dataclass
class Script:
    """A transport that answers from a script and records each request."""

    answers: list[Answer]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests if request.content]


@dataclass
class FakeClock:
    """Monotonic time that only sleeping moves."""

    time: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


class AsyncFakeClock(FakeClock):
    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        FakeClock.sleep(self, seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_on(script: Script, clock: FakeClock, **options: Any) -> DocchatClient:
    options.setdefault("retry", RetryPolicy(deadline=30, jitter=0.2))
    transport = httpx.MockTransport(script)
    return DocchatClient(BASE, function_key=KEY, transport=transport, clock=clock, **options)


def async_client_on(script: Script, clock: AsyncFakeClock, **options: Any) -> AsyncDocchatClient:
    transport = httpx.MockTransport(script)
    return AsyncDocchatClient(BASE, function_key=KEY, transport=transport, clock=clock, **options)


def test_send_posts_for_the_sender_under_a_fresh_uuid_with_the_function_key(
    clock: FakeClock,
) -> None:
    script = Script([httpx.Response(201, json=message_json(mentions=["carol"]))])
    with client_on(script, clock) as client:
        sent = client.send("doc/1", "hello", sender_id="bot", sender_name="Bot", mentions=["carol"])

    (request,) = script.requests
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/service/documents/doc%2F1/messages"
    assert request.headers["x-functions-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert uuid.UUID(body.pop("id"))
    assert body == {"text": "hello", "senderId": "bot", "senderName": "Bot", "mentions": ["carol"]}
    assert sent.id == "m1"
    assert sent.mentions == ("carol",)
    assert sent.thread is None
    assert sent.seq == 1


def test_a_reply_and_an_anchor_are_sent_as_given_and_the_thread_is_read(clock: FakeClock) -> None:
    thread = {
        "replyCount": 2,
        "lastReplyAt": "2026-12-07T06:31:00.000Z",
        "participants": [{"id": "bob", "name": "Bob"}],
        "resolved": True,
        "resolvedBy": {"id": "bob", "name": "Bob"},
        "resolvedAt": "2026-12-07T06:32:00.000Z",
    }
    answer = message_json(thread=thread, anchor={"kind": "text", "from": 1})
    script = Script([httpx.Response(200, json=answer)])
    with client_on(script, clock) as client:
        root = client.send("doc", "x", sender_id="bot", id="mine", anchor={"kind": "text"})
        client.send("doc", "y", sender_id="bot", id="r1", reply_to="mine")

    assert script.bodies()[0] == {
        "text": "x",
        "senderId": "bot",
        "id": "mine",
        "anchor": {"kind": "text"},
    }
    assert script.bodies()[1]["replyTo"] == "mine"
    assert root.thread is not None
    assert root.thread.reply_count == 2
    assert root.thread.resolved_by is not None
    assert root.thread.resolved_by.name == "Bob"
    assert root.anchor == {"kind": "text", "from": 1}


@pytest.mark.parametrize(
    ("status", "code"), [(503, "store_outcome_unknown"), (429, "rate_limited")]
)
def test_a_send_waits_out_retry_after_with_jitter_then_tries_again_under_the_same_id(
    clock: FakeClock, status: int, code: str
) -> None:
    script = Script(
        [failure(status, code, retry_after=2), httpx.Response(201, json=message_json())]
    )
    with client_on(script, clock) as client:
        client.send("doc", "hello", sender_id="bot")

    first, second = script.bodies()
    assert first["id"] == second["id"]
    (wait,) = clock.slept
    assert 2.0 <= wait <= 2.0 * 1.2


def test_without_retry_after_the_waits_back_off_exponentially_to_a_bound(clock: FakeClock) -> None:
    policy = RetryPolicy(deadline=100, max_tries=6, backoff=0.5, max_backoff=2, jitter=0)
    script = Script([failure(503, "store_unavailable", stored=None)])
    with client_on(script, clock, retry=policy) as client, pytest.raises(ServiceUnavailable):
        client.send("doc", "hello", sender_id="bot")

    assert clock.slept == [0.5, 1.0, 2.0, 2.0, 2.0]
    assert len(script.requests) == 6


def test_a_retry_after_past_the_deadline_is_not_waited_the_error_says_when(
    clock: FakeClock,
) -> None:
    script = Script([failure(429, "rate_limited", retry_after=30)])
    with client_on(script, clock) as client, pytest.raises(RateLimited) as raised:
        client.send("doc", "hello", sender_id="bot", deadline=10)

    assert clock.slept == []
    assert len(script.requests) == 1
    assert raised.value.retry_after == 30
    assert raised.value.code == "rate_limited"
    assert raised.value.stored is False  # a refusal stores nothing
    assert raised.value.message_id == script.bodies()[0]["id"]


def test_an_outage_that_outlasts_the_deadline_raises_its_last_503_within_it(
    clock: FakeClock,
) -> None:
    started = clock.time
    script = Script([failure(503, "store_outcome_unknown", retry_after=1, stored=None, id="m")])
    with client_on(script, clock) as client, pytest.raises(ServiceUnavailable) as raised:
        client.send("doc", "hello", sender_id="bot", id="m", deadline=5)

    assert clock.time - started < 5
    assert 3 <= len(script.requests) <= 5
    assert raised.value.code == "store_outcome_unknown"
    assert raised.value.stored is None
    assert raised.value.retry_after == 1
    assert raised.value.status == 503


def test_each_try_has_what_is_left_of_the_deadline_at_most(clock: FakeClock) -> None:
    script = Script([failure(503, "store_unavailable", retry_after=3), failure(400, "x")])
    with client_on(script, clock, timeout=10) as client, pytest.raises(InvalidRequest):
        client.send("doc", "hello", sender_id="bot", deadline=6)

    timeouts = [request.extensions["timeout"]["read"] for request in script.requests]
    assert timeouts[0] == 6
    assert 2.4 <= timeouts[1] <= 3  # 6 s less the wait of 3 s and its jitter


def test_no_try_starts_with_too_little_time_to_be_answered(clock: FakeClock) -> None:
    """A try with less than 2 s left would likely get no answer: the known 503 is raised."""
    script = Script([failure(503, "message_not_delivered", retry_after=3, stored=True)])
    with (
        client_on(script, clock, timeout=10) as client,
        pytest.raises(ServiceUnavailable) as raised,
    ):
        client.send("doc", "hello", sender_id="bot", deadline=4.5)

    assert len(script.requests) == 1
    assert (raised.value.code, raised.value.stored) == ("message_not_delivered", True)


def test_after_a_try_whose_outcome_is_unknown_a_later_refusal_does_not_say_not_stored(
    clock: FakeClock,
) -> None:
    """The first try may still land: stored is None, whatever the last try said."""
    script = Script(
        [failure(503, "store_outcome_unknown", retry_after=0, stored=None), failure(400, "bad")]
    )
    with client_on(script, clock) as client, pytest.raises(InvalidRequest) as raised:
        client.send("doc", "hello", sender_id="bot")

    assert raised.value.stored is None


def test_once_any_try_kept_the_message_the_error_says_stored(clock: FakeClock) -> None:
    kept = failure(503, "message_not_delivered", retry_after=1, stored=True, id="m")
    script = Script([kept, failure(503, "store_unavailable", retry_after=60, stored=None)])
    with client_on(script, clock) as client, pytest.raises(ServiceUnavailable) as raised:
        client.send("doc", "hello", sender_id="bot", id="m", deadline=10)

    assert raised.value.stored is True
    assert raised.value.message_id == "m"


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_request", InvalidRequest),
        (401, "http_401", Unauthorized),
        (404, "message_not_found", NotFound),
        (409, "message_id_conflict", Conflict),
    ],
)
def test_a_refusal_is_raised_at_once_typed_with_its_code_and_not_stored(
    clock: FakeClock, status: int, code: str, kind: type[Exception]
) -> None:
    answer = httpx.Response(401) if code == "http_401" else failure(status, code)
    script = Script([answer])
    with client_on(script, clock) as client, pytest.raises(kind) as raised:
        client.send("doc", "hello", sender_id="bot")

    assert len(script.requests) == 1
    assert raised.value.code == code  # type: ignore[attr-defined]
    assert raised.value.stored is False  # type: ignore[attr-defined]


def test_a_hosts_bodiless_500_is_an_unexpected_answer_not_retried(clock: FakeClock) -> None:
    script = Script([httpx.Response(500)])
    with client_on(script, clock) as client, pytest.raises(UnexpectedAnswer) as raised:
        client.send("doc", "hello", sender_id="bot")

    assert len(script.requests) == 1
    assert raised.value.code == "http_500"
    assert raised.value.stored is None


def test_no_answer_is_tried_again_and_in_the_end_a_transport_error_stored_unknown(
    clock: FakeClock,
) -> None:
    refused = httpx.ConnectError("connection refused")
    script = Script([refused, httpx.Response(201, json=message_json())])
    with client_on(script, clock) as client:
        assert client.send("doc", "hello", sender_id="bot").id == "m1"

    silent = Script([httpx.ReadTimeout("no answer")])
    with client_on(silent, clock) as client, pytest.raises(TransportError) as raised:
        client.send("doc", "hello", sender_id="bot", id="kept?", deadline=3)

    assert raised.value.stored is None
    assert raised.value.message_id == "kept?"
    assert raised.value.status is None


def test_history_follows_continuation_tokens_as_the_identity(clock: FakeClock) -> None:
    script = Script(
        [
            httpx.Response(200, json={"items": [message_json("m3", 3)], "continuationToken": "t"}),
            httpx.Response(200, json={"items": [message_json("m1", 1)], "continuationToken": None}),
        ]
    )
    with client_on(script, clock, identity=DevUser("alice", "Alice")) as client:
        seqs = [message.seq for message in client.history("doc", limit=1)]

    assert seqs == [3, 1]
    first, second = script.requests
    assert first.url.params == httpx.QueryParams({"limit": "1"})
    assert second.url.params == httpx.QueryParams({"limit": "1", "continuationToken": "t"})
    assert first.headers["x-ms-client-principal-id"] == "alice"
    assert first.headers["x-ms-client-principal-name"] == "Alice"
    assert "x-functions-key" not in first.headers  # the key goes to service routes only


def test_catch_up_passes_each_continuation_token_as_the_next_after_in_the_largest_pages(
    clock: FakeClock,
) -> None:
    script = Script(
        [
            httpx.Response(200, json={"items": [message_json("m2", 2)], "continuationToken": "c2"}),
            httpx.Response(200, json={"items": [], "continuationToken": None}),
        ]
    )
    with client_on(script, clock, identity=DevUser("alice")) as client:
        caught = list(client.catch_up("doc", after="c1"))

    assert [message.id for message in caught] == ["m2"]
    assert [request.url.params["after"] for request in script.requests] == ["c1", "c2"]
    assert all("continuationToken" not in request.url.params for request in script.requests)
    assert {request.url.params["limit"] for request in script.requests} == {"500"}


def test_threads_filters_and_the_thread_route(clock: FakeClock) -> None:
    page = httpx.Response(200, json={"items": [], "continuationToken": None})
    script = Script([page])
    reader = DevUser("alice")
    with client_on(script, clock, identity=reader) as client:
        list(client.threads("doc", resolved=False, anchored=True))
        list(client.thread("doc", "root 1"))

    assert script.requests[0].url.params == httpx.QueryParams(
        {"resolved": "false", "anchored": "true"}
    )
    assert script.requests[1].url.raw_path == b"/api/documents/doc/threads/root%201"


def test_reads_need_an_identity_and_as_user_gives_one_on_the_same_pool(clock: FakeClock) -> None:
    script = Script([httpx.Response(200, json={"items": [], "continuationToken": None})])
    with client_on(script, clock) as client:
        with pytest.raises(ValueError, match="identity"):
            list(client.history("doc"))
        list(client.as_user(BearerUser("a-token")).history("doc"))
        carol = client.as_user(DevUser("carol"))
        carol.close()  # a view does not close the pool it shares
        list(carol.notifications(unread=True))

    assert script.requests[0].headers["authorization"] == "Bearer a-token"
    assert script.requests[1].url.path == "/api/me/notifications"
    assert script.requests[1].url.params["unread"] == "true"


@dataclass
class Token:
    token: str
    expires_on: int


@dataclass
class Credential:
    """An azure-identity-like credential that counts what it is asked for."""

    scopes: list[tuple[str, ...]] = field(default_factory=list)
    lifetime: int = 3600

    def get_token(self, *scopes: str) -> Token:
        self.scopes.append(scopes)
        issued = int(datetime.now(UTC).timestamp())
        return Token(f"token-{len(self.scopes)}", issued + self.lifetime)


def test_a_credentials_token_goes_with_every_call_asked_for_once_while_fresh(
    clock: FakeClock,
) -> None:
    credential = Credential()
    script = Script([httpx.Response(201, json=message_json())])
    with client_on(script, clock, credential=credential) as client:
        client.send("doc", "one", sender_id="bot")
        client.send("doc", "two", sender_id="bot")

    assert credential.scopes == [(default_scope(BASE),)]
    assert default_scope(BASE + "/") == "https://docchat.example/.default"
    assert {request.headers["authorization"] for request in script.requests} == {"Bearer token-1"}
    assert {request.headers["x-functions-key"] for request in script.requests} == {KEY}


def test_a_token_near_its_expiry_is_asked_for_again_for_the_given_scope(clock: FakeClock) -> None:
    credential = Credential(lifetime=60)
    script = Script([httpx.Response(201, json=message_json())])
    scope = "api://00000000-app/.default"
    with client_on(script, clock, credential=credential, scope=scope) as client:
        client.send("doc", "one", sender_id="bot")
        client.send("doc", "two", sender_id="bot")

    assert credential.scopes == [(scope,), (scope,)]


def test_members_and_webhooks_calls(clock: FakeClock) -> None:
    hook = {"name": "crm", "url": "https://crm.example/in", "events": ["message.created"]}
    script = Script(
        [
            httpx.Response(201, json={"userId": "u 1", "role": "reader"}),
            httpx.Response(204),
            httpx.Response(
                200,
                json={"members": [{"userId": "a", "role": "writer"}], "continuationToken": None},
            ),
            httpx.Response(
                201, json={**hook, "createdAt": "2026-12-07T06:30:00Z", "secret": "whsec_abc"}
            ),
            httpx.Response(200, json={"items": [{**hook, "createdAt": "2026-12-07T06:30:00Z"}]}),
            httpx.Response(200, json={"items": [], "continuationToken": None}),
            httpx.Response(204),
        ]
    )
    with client_on(script, clock) as client:
        member = client.put_member("doc", "u 1", "reader")
        client.remove_member("doc", "u 1")
        members = list(client.members("doc"))
        created = client.put_webhook("crm", hook["url"], ["message.created"])  # type: ignore[arg-type]
        listed = client.webhooks()
        failures = list(client.webhook_failures("crm"))
        client.delete_webhook("crm")

    assert member.role == "reader"
    assert [m.user_id for m in members] == ["a"]
    assert created.secret == "whsec_abc"
    assert listed[0].secret is None
    assert failures == []
    calls = [(r.method, r.url.raw_path.decode()) for r in script.requests]
    assert calls == [
        ("PUT", "/api/service/documents/doc/members/u%201"),
        ("DELETE", "/api/service/documents/doc/members/u%201"),
        ("GET", "/api/service/documents/doc/members"),
        ("PUT", "/api/service/webhooks/crm"),
        ("GET", "/api/service/webhooks"),
        ("GET", "/api/service/webhooks/crm/failures"),
        ("DELETE", "/api/service/webhooks/crm"),
    ]
    assert json.loads(script.requests[3].content) == {
        "url": hook["url"],
        "events": ["message.created"],
    }


async def test_the_async_client_retries_pages_and_types_errors_as_the_sync_one() -> None:
    clock = AsyncFakeClock()
    script = Script(
        [
            failure(503, "store_unavailable", retry_after=1, stored=None),
            httpx.Response(201, json=message_json()),
            httpx.Response(200, json={"items": [message_json("m3", 3)], "continuationToken": "t"}),
            httpx.Response(200, json={"items": [message_json("m1", 1)], "continuationToken": None}),
            failure(404, "webhook_not_found"),
        ]
    )
    async with async_client_on(script, clock, identity=DevUser("alice")) as client:
        sent = await client.send("doc", "hello", sender_id="bot")
        seqs = [message.seq async for message in client.history("doc")]
        with pytest.raises(NotFound) as raised:
            await client.delete_webhook("gone")

    assert sent.id == "m1"
    assert script.bodies()[0]["id"] == script.bodies()[1]["id"]
    (wait,) = clock.slept
    assert 1 <= wait <= 1.2
    assert seqs == [3, 1]
    assert raised.value.code == "webhook_not_found"


async def test_the_async_client_awaits_an_async_credential() -> None:
    scopes: list[str] = []

    class AsyncCredential:
        async def get_token(self, *wanted: str) -> Token:
            scopes.extend(wanted)
            return Token("async-token", int(datetime.now(UTC).timestamp()) + 3600)

    script = Script([httpx.Response(201, json=message_json())])
    transport = httpx.MockTransport(script)
    async with AsyncDocchatClient(
        BASE, credential=AsyncCredential(), transport=transport
    ) as client:
        await client.send("doc", "hello", sender_id="bot")

    assert scopes == [default_scope(BASE)]
    assert script.requests[0].headers["authorization"] == "Bearer async-token"


SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def signed(body: bytes, secret: str = SECRET, at: datetime | None = None) -> dict[str, str]:
    moment = at or datetime.now(UTC)
    signature = Signer(secret).sign("msg_1", moment, body)
    return {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(int(moment.timestamp())),
        "Webhook-Signature": signature,
    }


def test_verify_webhook_returns_the_event_and_refuses_anything_else() -> None:
    body = json.dumps(
        {"type": "message.created", "timestamp": "2026-12-07T06:30:00Z", "data": message_json()}
    ).encode()

    event = verify_webhook(signed(body), body, SECRET)

    assert (event.id, event.type) == ("msg_1", "message.created")
    assert event.message().id == "m1"
    forged = [
        (signed(body), body.replace(b"hello", b"hullo"), SECRET),
        (signed(body, "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="), body, SECRET),
        ({k: v for k, v in signed(body).items() if k != "Webhook-Signature"}, body, SECRET),
        (signed(body, at=datetime(2020, 1, 1, tzinfo=UTC)), body, SECRET),
        (signed(b"[1]"), b"[1]", SECRET),
    ]
    for headers, sent, secret in forged:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(headers, sent, secret)


def _pins(lines: Iterator[str]) -> dict[str, str]:
    pinned = (re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip()) for line in lines)
    return {match[1].lower(): match[2] for match in pinned if match}


def test_the_clients_dependencies_are_pinned_as_the_app_pins_them() -> None:
    project = tomllib.loads((ROOT / "clients/python/pyproject.toml").read_text(encoding="utf-8"))
    declared = _pins(iter(project["project"]["dependencies"]))
    app = _pins(iter((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()))

    assert set(declared) == {"httpx", "standardwebhooks"}
    assert declared == {name: app[name] for name in declared}


def test_the_make_setup_installs_the_client() -> None:
    requirements = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "-e ./clients/python" in requirements


def test_the_client_imports_only_the_standard_library_httpx_and_standardwebhooks() -> None:
    """It is installed on its own (pip), where none of the app's packages exist."""
    allowed = {"httpx", "standardwebhooks", "docchat_client", *sys.stdlib_module_names}
    imported = set()
    for module in (ROOT / "clients/python/src/docchat_client").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])

    assert imported
    assert imported - allowed == set()


def test_a_revocation_left_incomplete_is_sent_again_and_in_the_end_says_removed(
    clock: FakeClock,
) -> None:
    incomplete = failure(503, "revocation_incomplete", retry_after=1, removed=True)
    script = Script([incomplete, httpx.Response(204)])
    with client_on(script, clock) as client:
        client.remove_member("doc", "mallory")

    stuck = Script([incomplete])
    with client_on(stuck, clock) as client, pytest.raises(ServiceUnavailable) as raised:
        client.remove_member("doc", "mallory")

    assert [request.method for request in script.requests] == ["DELETE", "DELETE"]
    assert raised.value.removed is True
    assert raised.value.code == "revocation_incomplete"


def test_a_retry_after_given_as_an_http_date_is_waited_until_then(clock: FakeClock) -> None:
    then = datetime.now(UTC).timestamp() + 4
    date = datetime.fromtimestamp(then, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    busy = httpx.Response(429, headers={"Retry-After": date}, json={"error": {"code": "x"}})
    script = Script([busy, httpx.Response(201, json=message_json())])
    with client_on(script, clock) as client:
        client.send("doc", "hello", sender_id="bot")

    (wait,) = clock.slept
    assert 2 <= wait <= 4 * 1.2
