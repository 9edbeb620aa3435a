"""The dev host runs ``queueTrigger`` functions from real Azurite queues as the Storage Queues
extension does (azure-sdk-for-net sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common
/src/Shared/Queues: QueueListener.cs, QueueProcessor.cs, QueuesOptions.cs), handing the
function what the Python worker hands it (azure-functions ``queue.py``,
QueueMessageInConverter)."""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from azure.storage.queue import QueueClient, QueueServiceClient

from devstack.host.loading import load_function_app
from devstack.host.queue_listener import Backoff
from devstack.host.queue_options import QueueOptions, read_queue_options
from devstack.host.server import QUEUE_FUNCTIONS_IN_ERROR, HostOptions, create_host_app
from devstack.host.settings import SettingsError
from tests.devstack.host_apps.serving import app_path, serving
from tests.fixtures.azurite import Azurite
from tests.fixtures.waiting import eventually_async
from tests.integration.recording_server import RecordingServer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Quick polling and immediate retries, so that tests wait on conditions, not on backoff.
QUICK = QueueOptions(max_polling_interval=0.3, visibility_timeout=0.0, message_encoding="none")


@dataclass
class Hosted:
    """The queue app served by the dev host, its state, and its queues."""

    app: ModuleType
    service: QueueServiceClient
    names: dict[str, str]
    url: str

    def queue(self, setting: str = "WORK_QUEUE") -> QueueClient:
        return self.service.get_queue_client(self.names[setting])

    def poison(self, setting: str = "WORK_QUEUE") -> QueueClient:
        return self.service.get_queue_client(self.names[setting] + "-poison")

    def send(self, body: dict[str, Any], setting: str = "WORK_QUEUE") -> str:
        return self.queue(setting).send_message(json.dumps(body)).id

    @property
    def seen(self) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = self.app.SEEN
        return seen

    def has_poison(self, setting: str = "WORK_QUEUE") -> bool:
        name = self.names[setting] + "-poison"
        return name in {queue.name for queue in self.service.list_queues(name_starts_with=name)}

    def left_in(self, queue: QueueClient) -> int:
        """Messages in ``queue``, hidden ones too."""
        return queue.get_queue_properties().approximate_message_count or 0


@asynccontextmanager
async def hosting(
    azurite_server: Azurite, options: QueueOptions = QUICK, **settings: str
) -> AsyncIterator[Hosted]:
    connection = azurite_server.fresh_account()
    names = {name: f"q{uuid.uuid4().hex[:12]}" for name in ("WORK_QUEUE", "TEXT_QUEUE")}
    names["NOTIFY_QUEUE"] = f"n{uuid.uuid4().hex[:12]}"
    service = QueueServiceClient.from_connection_string(connection)
    for name in names.values():
        service.create_queue(name)
    every = {"WorkStorage": connection, **names, **settings}
    async with serving("queue_app", settings=every, queues=options) as url:
        yield Hosted(sys.modules["queue_app"], service, names, url)


async def test_a_message_reaches_the_function_with_its_metadata_and_is_deleted_after_success(
    azurite_server: Azurite,
) -> None:
    """QueueTriggerBinding.CreateBindingData's metadata, as QueueMessageInConverter reads it;
    QueueProcessor.CompleteProcessingMessageAsync deletes a message whose function succeeded."""
    async with hosting(azurite_server) as hosted:
        sent = hosted.queue().send_message(json.dumps({"n": 1}))

        [seen] = await eventually_async(lambda: hosted.seen, what="the invocation")
        await eventually_async(lambda: hosted.left_in(hosted.queue()) == 0, what="the delete")

    assert seen["body"] == {"n": 1}
    assert seen["id"] == sent.id
    assert seen["dequeue_count"] == 1
    assert seen["insertion_time"] == sent.inserted_on
    assert seen["expiration_time"] == sent.expires_on
    assert seen["pop_receipt"]
    # QueueListener takes each message hidden for 10 minutes while its function runs.
    assert seen["time_next_visible"] - seen["insertion_time"] >= timedelta(minutes=9)


async def test_a_failing_message_is_retried_with_a_rising_dequeue_count_until_it_succeeds(
    azurite_server: Azurite,
) -> None:
    """QueueProcessor.ReleaseMessageAsync: a failure makes the message visible again."""
    async with hosting(azurite_server) as hosted:
        hosted.send({"fail": 2})

        await eventually_async(lambda: len(hosted.seen) == 3, what="three tries")
        await eventually_async(lambda: hosted.left_in(hosted.queue()) == 0, what="the delete")

    assert [seen["dequeue_count"] for seen in hosted.seen] == [1, 2, 3]
    assert not hosted.has_poison()


async def test_a_message_failing_max_dequeue_count_times_moves_to_the_poison_queue(
    azurite_server: Azurite,
) -> None:
    """QueueProcessor: at MaxDequeueCount (5 by default) the body is copied to
    ``<queue>-poison``, created if missing, and the message deleted."""
    async with hosting(azurite_server) as hosted:
        body = json.dumps({"fail": 99})
        hosted.queue().send_message(body)

        await eventually_async(hosted.has_poison, what="the poison queue")
        [poisoned] = await eventually_async(
            lambda: hosted.poison().peek_messages(), what="the poison message"
        )
        await eventually_async(lambda: hosted.left_in(hosted.queue()) == 0, what="the delete")

    assert [seen["dequeue_count"] for seen in hosted.seen] == [1, 2, 3, 4, 5]
    assert poisoned.content == body


async def test_max_dequeue_count_from_the_options_decides_when_a_message_is_poison(
    azurite_server: Azurite,
) -> None:
    async with hosting(azurite_server, replace(QUICK, max_dequeue_count=2)) as hosted:
        hosted.send({"fail": 99})

        await eventually_async(hosted.has_poison, what="the poison queue")

    assert [seen["dequeue_count"] for seen in hosted.seen] == [1, 2]


async def test_a_failed_message_stays_hidden_for_the_visibility_timeout(
    azurite_server: Azurite,
) -> None:
    """QueuesOptions.VisibilityTimeout: how long a failed message waits before its next try."""
    async with hosting(azurite_server, replace(QUICK, visibility_timeout=2.0)) as hosted:
        hosted.send({"fail": 1})
        await eventually_async(lambda: len(hosted.seen) == 1, what="the first try")
        failed_at = time.monotonic()

        await eventually_async(lambda: len(hosted.seen) == 2, within=20, what="the retry")

    # Azurite counts whole seconds: the retry comes no sooner than about the timeout.
    assert time.monotonic() - failed_at >= 1.0
    assert hosted.seen[1]["time_next_visible"] > hosted.seen[0]["time_next_visible"]


async def test_batch_size_plus_new_batch_threshold_messages_run_at_once(
    azurite_server: Azurite,
) -> None:
    """QueueListener: take batchSize messages, and take more only once no more than
    newBatchThreshold still run (WaitForNewBatchThreshold): at most their sum at once."""
    options = replace(QUICK, batch_size=2, new_batch_threshold=1)
    async with hosting(azurite_server, options, PYTHON_THREADPOOL_THREAD_COUNT="8") as hosted:
        for n in range(8):
            hosted.send({"n": n, "hold": True})
        await eventually_async(lambda: hosted.app.RUNNING[0] == 2, what="one batch running")
        most_of_one_batch = hosted.app.MOST_AT_ONCE[0]

        hosted.app.GATE.release()  # one ends: one still runs, not above the threshold
        await eventually_async(lambda: hosted.app.RUNNING[0] == 3, what="the next batch")
        hosted.app.GATE.release(8)
        await eventually_async(lambda: len(hosted.seen) == 8, what="every message")

    assert most_of_one_batch == 2
    assert hosted.app.MOST_AT_ONCE[0] == 3


async def test_http_functions_answer_while_every_queue_invocation_is_stuck(
    azurite_server: Azurite,
) -> None:
    """On Flex Consumption a queue-triggered function scales on instances of its own, apart
    from the HTTP functions (Azure docs, flex-consumption-plan.md, "Per-function scaling"):
    the dev host gives each its own pool of the worker's threads, so a receiver that hangs
    a webhook delivery never holds a thread an HTTP request needs."""
    async with hosting(azurite_server, PYTHON_THREADPOOL_THREAD_COUNT="2") as hosted:
        for n in range(4):
            hosted.send({"n": n, "hold": True})
        await eventually_async(lambda: hosted.app.RUNNING[0] == 2, what="both threads held")
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(f"{hosted.url}/api/ping") as answer,
        ):
            pinged = (answer.status, await answer.text())
        hosted.app.GATE.release(4)
        await eventually_async(lambda: len(hosted.seen) == 4, what="every message")

    assert pinged == (200, "pong")


async def test_base64_encoding_decodes_bodies_and_poisons_one_that_is_not_base64(
    azurite_server: Azurite,
) -> None:
    """host.json messageEncoding base64 (the extension's default); a body that does not
    decode goes to the poison queue unrun (QueueServiceClientProvider's MessageDecodingFailed
    handler)."""
    async with hosting(azurite_server, replace(QUICK, message_encoding="base64")) as hosted:
        hosted.queue().send_message(base64.b64encode(b'{"n": 7}').decode())
        hosted.queue().send_message("{not base64}")

        await eventually_async(lambda: hosted.seen, what="the invocation")
        [poisoned] = await eventually_async(
            lambda: hosted.poison().peek_messages() if hosted.has_poison() else [],
            what="the poison message",
        )

    assert [seen["body"] for seen in hosted.seen] == [{"n": 7}]
    assert poisoned.content == "{not base64}"


async def test_a_str_parameter_gets_the_body_as_text(azurite_server: Azurite) -> None:
    async with hosting(azurite_server) as hosted:
        hosted.queue("TEXT_QUEUE").send_message("plain words")

        await eventually_async(lambda: hosted.seen, what="the invocation")

    assert hosted.seen == [{"text": "plain words"}]


async def test_a_queue_triggered_function_carries_out_its_output_bindings_with_binding_data(
    azurite_server: Azurite,
) -> None:
    """The signalR output of a queue-triggered function, its hub from the message's JSON
    properties (binding data), sent as for an HTTP-triggered one."""
    with RecordingServer() as signalr:
        setting = f"Endpoint={signalr.url};AccessKey={'k' * 43}=;Version=1.0;"
        async with hosting(azurite_server, SignalRSetting=setting) as hosted:
            hosted.send({"hub": "docs", "user": "alice-id"}, "NOTIFY_QUEUE")

            [request] = await eventually_async(lambda: signalr.requests, what="the send")
            await eventually_async(
                lambda: hosted.left_in(hosted.queue("NOTIFY_QUEUE")) == 0, what="the delete"
            )

    assert request.method == "POST"
    assert request.path == "/api/hubs/docs/users/alice-id/:send"
    assert request.json()["target"] == "note"


def test_a_queue_trigger_without_its_connection_is_in_error_and_the_rest_run() -> None:
    """The host marks a function whose storage connection does not exist in error and runs
    the others."""
    app = create_host_app(load_function_app(app_path("queue_app")), HostOptions(settings={}))

    in_error: dict[str, str] = app[QUEUE_FUNCTIONS_IN_ERROR]

    assert set(in_error) == {"work", "notify", "as_text"}
    assert "Storage account connection string 'WorkStorage' does not exist" in in_error["work"]


def test_the_project_host_json_sets_plain_text_bodies_and_the_chosen_polling() -> None:
    options = read_queue_options(PROJECT_ROOT / "host.json")

    assert options == QueueOptions(
        batch_size=16,
        max_polling_interval=2.0,
        visibility_timeout=10.0,
        max_dequeue_count=5,
        message_encoding="none",
    )


def test_without_a_queues_section_the_options_are_the_extensions_defaults(tmp_path: Path) -> None:
    """QueuesOptions: 16, batchSize/2 * processors, 1 minute, zero, 5, Base64."""
    (tmp_path / "host.json").write_text('{"version": "2.0"}')

    options = read_queue_options(tmp_path / "host.json")

    assert options == QueueOptions()
    assert options.threshold({"WEBSITE_SKU": "Dynamic"}) == 8


@pytest.mark.parametrize(
    "queues",
    [{"batchSize": 33}, {"maxPollingInterval": "00:00:00.05"}, {"messageEncoding": "utf8"}],
    ids=["batch-over-32", "polling-under-100ms", "unknown-encoding"],
)
def test_options_out_of_the_extensions_range_are_refused(
    tmp_path: Path, queues: dict[str, Any]
) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"extensions": {"queues": queues}}))

    with pytest.raises(SettingsError, match=r"extensions\.queues"):
        read_queue_options(tmp_path / "host.json")


def test_polling_backs_off_from_100_ms_to_the_maximum_and_resets_after_a_message() -> None:
    """RandomizedExponentialBackoffStrategy: minimum, then minimum + 0.8-1.2 x 2^(n-1) x
    minimum, capped; the minimum again once a message was found."""
    backoff = Backoff(maximum=2.0)

    delays = [backoff.next_delay(succeeded=False) for _ in range(10)]

    assert delays[0] == pytest.approx(0.1)
    assert 0.18 <= delays[1] <= 0.22
    assert delays == sorted(delays)
    assert delays[-1] == 2.0
    assert backoff.next_delay(succeeded=True) == pytest.approx(0.1)
