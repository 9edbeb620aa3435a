"""docchat under concurrency and faults, over HTTP, as deployed: several dev host processes
(the app scaled out) on one local Cosmos DB server and the SignalR emulator, which the
tests stall (SIGSTOP), restart and misconfigure while many senders post."""

from __future__ import annotations

import functools
import itertools
import math
import os
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.host.server import PING_PATH
from devstack.stack import ChildProcess, LocalStack, free_port
from tests.fixtures.waiting import eventually

RUN = uuid.uuid4().hex[:8]
_documents = itertools.count()


def new_document() -> str:
    return f"resilience-{RUN}-{next(_documents)}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(log_dir=tmp_path_factory.mktemp("resilience-logs")) as running:
        yield running


@contextmanager
def another_host(stack: LocalStack, log_dir: Path, **settings: str) -> Iterator[str]:
    """One more dev host process for the same app and services: the app scaled out."""
    port = free_port()
    command = [sys.executable, "-m", "devstack.host", "--port", str(port)]
    command += ["--app", str(stack.app), "--settings", str(stack.settings_path)]
    environment = {**stack.settings, **settings}
    host = ChildProcess(
        name=f"host-{port}",
        command=command,
        log_path=log_dir / f"host-{port}.log",
        env={**os.environ, **environment},
        cwd=stack.root,
    )
    host.start()
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(
            lambda: requests.get(url + PING_PATH, timeout=1).ok,
            retrying_on=(requests.ConnectionError,),
            until=bool,
            timeout=30,
            what="the second host to answer",
        )
        yield url
    finally:
        host.stop()


class Client:
    """The HTTP API as a user (or, with ``service``, a backend) calls it."""

    def __init__(self, base_url: str, stack: LocalStack) -> None:
        self.base_url = base_url.replace("localhost", "127.0.0.1")
        self._key = stack.function_key
        self._session = requests.Session()

    def post(
        self, document: str, text: str, message_id: str, sender: str = "alice", **fields: str
    ) -> Any:
        return self._session.post(
            f"{self.base_url}/api/service/documents/{document}/messages",
            json={"text": text, "id": message_id, "senderId": sender, **fields},
            headers={"x-functions-key": self._key},
            timeout=10,
        )

    def history(self, document: str, **params: str) -> Any:
        return self._session.get(
            f"{self.base_url}/api/documents/{document}/messages",
            params={"limit": "100", **params},
            headers={"x-ms-client-principal-id": "reader"},
            timeout=10,
        )

    def mark_read(self, document: str, seq: int) -> Any:
        return self._session.put(
            f"{self.base_url}/api/documents/{document}/read",
            json={"seq": seq},
            headers={"x-ms-client-principal-id": "reader"},
            timeout=10,
        )

    def everything(self, document: str) -> list[dict[str, Any]]:
        """Every message of ``document``, oldest first, read with catch-up pages."""
        items: list[dict[str, Any]] = []
        after: str | None = "YzE6MA"  # the cursor before the first message
        while after is not None:
            page = self.history(document, after=after)
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            after = page.json()["continuationToken"]
        return items


def assert_each_once_in_seq_order(items: list[dict[str, Any]], ids: set[str]) -> None:
    assert sorted(item["id"] for item in items) == sorted(ids)
    assert [item["seq"] for item in items] == list(range(1, len(ids) + 1))


#: How many times a sender tries one message while the app answers 503.
SEND_TRIES = 10


def test_two_hosts_number_concurrent_messages_without_gap_or_repeat(
    stack: LocalStack, tmp_path: Path
) -> None:
    document = new_document()
    with another_host(stack, tmp_path) as second_url:
        clients = [Client(stack.base_url, stack), Client(second_url, stack)]
        ids = [f"m-{n}" for n in range(200)]

        refused: list[Any] = []

        def send(n: int) -> Any:
            """As a client does: a send's 503 is sent again with the same id after its
            Retry-After. On a loaded machine a hot document's writers can run out of their
            budget in the queue (``document_busy``), or one slow Cosmos DB answer opens an
            instance's breaker for a second (``store_unavailable``, seen in CI)."""
            for _ in range(SEND_TRIES):
                answer = clients[n % 2].post(document, f"text {n}", ids[n], sender=f"s{n % 20}")
                if answer.status_code != 503:
                    return answer
                refused.append(answer.json()["error"])
                time.sleep(int(answer.headers["Retry-After"]))
            return answer

        with ThreadPoolExecutor(max_workers=20) as senders:
            answers = list(senders.map(send, range(len(ids))))

    assert {answer.status_code for answer in answers} <= {200, 201}
    assert all(error["id"] in ids and error["stored"] is not False for error in refused)
    assert sorted(answer.json()["seq"] for answer in answers) == list(range(1, len(ids) + 1))
    assert_each_once_in_seq_order(clients[0].everything(document), set(ids))
    newest = clients[0].history(document, limit="5").json()["items"]
    assert [item["seq"] for item in newest] == [200, 199, 198, 197, 196]


def test_a_read_marker_takes_any_stored_seq_whichever_host_stored_it(
    stack: LocalStack, tmp_path: Path
) -> None:
    """Found with two hosts: one wrote message 1 and the other 2-5, and marking 5 read
    through the first was refused as past "the document's newest message, 1"."""
    document = new_document()
    with another_host(stack, tmp_path) as second_url:
        first, second = Client(stack.base_url, stack), Client(second_url, stack)
        assert first.post(document, "one", "m-1").status_code == 201
        for n in range(2, 6):
            assert second.post(document, f"text {n}", f"m-{n}").status_code == 201

        marked = first.mark_read(document, 5)
        past_the_newest = first.mark_read(document, 6)

    assert marked.status_code == 200, marked.text
    assert marked.json()["seq"] == 5
    assert past_the_newest.status_code == 400


def test_with_cosmos_stalled_sends_are_503_not_stored_or_unknown_and_retries_store_once(
    stack: LocalStack,
) -> None:
    """Writes caught in the stall may commit once the server goes on: the retry with the
    same id must then find them, never store a copy, and leave the sequence whole. Every
    send names its own id, so no answer may say ``stored: false`` while the stall lasts:
    an earlier try with the id may still land (found as a try answered null, its retries
    answered false, and the first try stored after all)."""
    document = new_document()
    client = Client(stack.base_url, stack)
    assert client.post(document, "before", "before").status_code == 201
    cosmos = stack.child("cosmos")
    ids = [f"stalled-{n}" for n in range(20)]
    cosmos.pause()
    try:
        with ThreadPoolExecutor(max_workers=20) as senders:
            answers = list(senders.map(lambda i: client.post(document, i, i), ids))
        retried_in_the_stall = [client.post(document, i, i) for i in ids[:5]]
        read = client.history(document)
    finally:
        cosmos.resume()

    assert {answer.status_code for answer in answers + retried_in_the_stall} == {503}
    assert {answer.json()["error"]["stored"] for answer in answers + retried_in_the_stall} == {None}
    assert all(answer.headers["Retry-After"] for answer in answers)
    assert read.status_code == 503
    for message_id in ids:
        retried = eventually(
            functools.partial(client.post, document, message_id, message_id),
            until=lambda answer: answer.status_code in (200, 201),
            what=f"{message_id} to be stored after the stall",
        )
        assert retried.json()["id"] == message_id
    assert_each_once_in_seq_order(client.everything(document), {"before", *ids})


#: What the issue asks of the time to a 503 with Cosmos DB stalled: at most 2 s at p99.
STALLED_503_P99_SECONDS = 2.0
#: While the outage is known, a sender hears its 503 at once: only the calls that find out
#: whether Cosmos DB is back wait out a timeout. Before, half waited more than 1.5 s.
STALLED_503_P50_SECONDS = 0.5
#: How long Cosmos DB stays stalled while the senders send.
STALL_SECONDS = 5.0


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``fraction`` of all reach."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def test_with_cosmos_stalled_twenty_concurrent_senders_hear_their_503_within_two_seconds(
    stack: LocalStack,
) -> None:
    """20 senders post to one document for as long as Cosmos DB is stalled, each measuring
    from its request to its answer, and each waiting the answer's Retry-After before its
    next message, as the page does: so their sends meet the breaker's cooldowns and probes,
    not only a known outage."""
    document = new_document()
    clients = [Client(stack.base_url, stack) for _ in range(20)]
    assert clients[0].post(document, "before", "before").status_code == 201

    def sender(n: int, until: float) -> list[tuple[int, float]]:
        timed: list[tuple[int, float]] = []
        while time.monotonic() < until:
            started = time.monotonic()
            answer = clients[n].post(document, "text", f"timed-{n}-{len(timed)}")
            timed.append((answer.status_code, time.monotonic() - started))
            time.sleep(int(answer.headers.get("Retry-After", "0")))
        return timed

    cosmos = stack.child("cosmos")
    cosmos.pause()
    try:
        until = time.monotonic() + STALL_SECONDS
        with ThreadPoolExecutor(max_workers=20) as senders:
            timed = [t for ts in senders.map(sender, range(20), [until] * 20) for t in ts]
    finally:
        cosmos.resume()

    eventually(
        lambda: clients[0].post(document, "after", "after"),
        until=lambda answer: answer.status_code == 201,
        what="the app to store again once Cosmos DB went on",
    )
    assert {status for status, _ in timed} == {503}
    seconds = [elapsed for _, elapsed in timed]
    p50, p99 = percentile(seconds, 0.5), percentile(seconds, 0.99)
    figures = f"time to 503 of {len(seconds)} sends: p50 {p50:.2f} s, p99 {p99:.2f} s"
    assert p99 <= STALLED_503_P99_SECONDS, figures
    assert p50 <= STALLED_503_P50_SECONDS, figures


def test_after_cosmos_restarts_empty_the_app_recovers_without_a_host_restart(
    stack: LocalStack,
) -> None:
    document = new_document()
    client = Client(stack.base_url, stack)
    assert client.post(document, "lost with the server", "old").status_code == 201

    stack.restart("cosmos")

    fresh = eventually(
        lambda: client.post(document, "after the restart", "new"),
        until=lambda answer: answer.status_code == 201,
        what="the app to use the restarted Cosmos server",
    )
    assert fresh.json()["seq"] == 1
    assert [item["id"] for item in client.everything(document)] == ["new"]


def test_with_signalr_stalled_sends_are_stored_reads_still_answer_and_retries_deliver(
    stack: LocalStack,
) -> None:
    document = new_document()
    client = Client(stack.base_url, stack)
    signalr = stack.child("signalr")
    ids = [f"undelivered-{n}" for n in range(20)]
    signalr.pause()
    try:
        with ThreadPoolExecutor(max_workers=20) as senders:
            answers = list(senders.map(lambda i: client.post(document, i, i), ids))
        read = client.history(document)
    finally:
        signalr.resume()

    assert {answer.status_code for answer in answers} == {503}
    assert {answer.json()["error"]["code"] for answer in answers} == {"message_not_delivered"}
    assert {answer.json()["error"]["stored"] for answer in answers} == {True}
    assert read.status_code == 200
    stored = client.everything(document)
    assert_each_once_in_seq_order(stored, set(ids))
    retried = eventually(
        lambda: client.post(document, ids[0], ids[0]),
        until=lambda answer: answer.status_code == 200,
        what="the retry to be delivered once SignalR answers again",
    )
    assert retried.json()["seq"] == next(m["seq"] for m in stored if m["id"] == ids[0])


def test_a_refused_signalr_key_fails_the_invocation_and_the_log_names_the_setting(
    stack: LocalStack, tmp_path: Path
) -> None:
    wrong_key = "wrong-key-0123456789-wrong-key-0123456789"
    connection_string = stack.signalr_connection_string.replace(
        stack.signalr_connection_string.split("AccessKey=")[1].split(";")[0], wrong_key
    )
    document = new_document()
    with another_host(
        stack, tmp_path, AzureSignalRConnectionString=connection_string
    ) as misconfigured_url:
        answer = Client(misconfigured_url, stack).post(document, "hello", "m-1")
        log = eventually(
            lambda: (tmp_path / f"host-{misconfigured_url.rsplit(':', 1)[1]}.log").read_text(),
            # The record's first line names the setting; its traceback follows in later
            # writes, so the whole record is waited for.
            until=lambda text: "AzureSignalRConnectionString" in text and "Traceback" in text,
            what="the host to log the failed invocation with its traceback",
        )

    assert answer.status_code == 500
    assert "Traceback" in log
    assert "refused docchat's credentials (401)" in log
    assert wrong_key not in log
    assert wrong_key not in answer.text


def replied_to_once_with_the_exact_count(
    client: Client, document: str, answers: list[Any], ids: list[str]
) -> None:
    """Retry each reply that did not answer 2xx with its id until it does, then hold the
    catch-up: every reply once with no gap in seq, and the root once, in its latest state, with
    the exact count (a retry of a reply that was stored does not count it again)."""
    for message_id, answer in zip(ids, answers, strict=True):
        if answer.status_code not in (200, 201):
            retried = eventually(
                functools.partial(client.post, document, message_id, message_id, replyTo="root"),
                until=lambda again: again.status_code in (200, 201),
                what=f"{message_id} to be stored and delivered",
            )
            assert retried.json()["threadId"] == "root"
    items = client.everything(document)  # in position order: the root moved last
    assert sorted(item["id"] for item in items) == sorted({"root", *ids})
    assert sorted(item["seq"] for item in items) == list(range(1, len(ids) + 2))
    (root,) = [item for item in items if item["id"] == "root"]
    assert root["thread"]["replyCount"] == len(ids)
    assert root["position"] == max(item["position"] for item in items)


def test_twenty_replies_while_signalr_is_killed_are_caught_up_once_with_the_exact_count(
    stack: LocalStack,
) -> None:
    """The emulator dies while 20 replies to one thread are posted: each is stored (its
    answer says so, or it is 201), and catch-up finds every reply once and the root's
    replyCount exactly 20."""
    document = new_document()
    client = Client(stack.base_url, stack)
    assert client.post(document, "root", "root").status_code == 201
    ids = [f"reply-{n}" for n in range(20)]
    try:
        with ThreadPoolExecutor(max_workers=21) as senders:
            reply = functools.partial(client.post, document, replyTo="root")
            # Half go out as it dies, half after: at least those find it gone.
            racing = [senders.submit(reply, i, i) for i in ids[:10]]
            senders.submit(stack.stop_realtime).result()
            late = [senders.submit(reply, i, i) for i in ids[10:]]
            answers = [future.result() for future in racing + late]
        assert {answer.status_code for answer in answers} <= {201, 503}
        assert {answer.status_code for answer in answers[10:]} == {503}
        undelivered = [answer.json()["error"] for answer in answers if answer.status_code == 503]
        assert {(error["code"], error["stored"]) for error in undelivered} <= {
            ("message_not_delivered", True)
        }
    finally:
        stack.start_realtime()
    replied_to_once_with_the_exact_count(client, document, answers, ids)


def test_twenty_replies_while_cosmos_is_stalled_count_once_however_often_retried(
    stack: LocalStack,
) -> None:
    """Replies caught in the stall may commit once the server goes on, with their root's
    summary in the same batch: their retries must find them stored and leave the count
    alone."""
    document = new_document()
    client = Client(stack.base_url, stack)
    assert client.post(document, "root", "root").status_code == 201
    ids = [f"stalled-reply-{n}" for n in range(20)]
    cosmos = stack.child("cosmos")
    cosmos.pause()
    try:
        with ThreadPoolExecutor(max_workers=20) as senders:
            answers = list(senders.map(lambda i: client.post(document, i, i, replyTo="root"), ids))
    finally:
        cosmos.resume()

    assert {answer.status_code for answer in answers} == {503}
    replied_to_once_with_the_exact_count(client, document, answers, ids)
