"""The send-message function in-process, next to the two calls it wraps, in one run.

Against the local Cosmos DB server and SignalR emulator, each round times, in turn:
``send_message`` called as the worker calls it (authenticate, validate, store with the next
seq, broadcast, respond); the bare transactional batch the store issues for it (create the
message, replace the document's head if its ETag matches), on another document; a bare
REST group send of the same message. The overhead docchat adds is p50(send) over
p50(batch) + p50(REST send).

It also takes the CPU time of the calling thread for each send and for each negotiate (a
REST-mode negotiate signs a client token: CPU only) — the figures docs/capacity.md prices
executions with. The SignalR emulator and the Cosmos DB server run in processes of their
own, as the services are other machines in Azure, so their work is not counted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.cosmos import ContainerProxy, CosmosClient
from opentelemetry.sdk.trace.sampling import Sampler

from bench.chat_path.telemetry_switch import DISTRO_DEFAULT, EVERY_TRACE, TelemetrySwitch
from chat.domain.messages import Message, format_timestamp
from devstack.cosmos import EMULATOR_KEY, start_cosmos_server
from devstack.emulator_core.running import connection_string
from devstack.signalr.settings import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY
from shared.connection_string import parse_connection_string
from signalr.rest import HubClient
from storage.cosmos.container import CLIENT_OPTIONS
from storage.cosmos.store import HEAD_ID

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "bench-document"
GROUP = f"document:{DOCUMENT}"
#: The bare batch writes to its own document, so its head never races send_message's.
BARE_DOCUMENT = "bench-bare-document"
CONTAINER = "bench-messages"
HEADERS = {
    "x-ms-client-principal-id": "bench-user",
    "x-ms-client-principal-name": "Bench",
    "content-type": "application/json",
}


@dataclass(frozen=True)
class Timings:
    """Seconds per call of each arm, and CPU seconds per send and per negotiate."""

    send: list[float]
    batch: list[float]
    rest_send: list[float]
    send_cpu: list[float]
    negotiate_cpu: list[float]
    sampled_send: list[float]
    traced_send: list[float]

    @property
    def ratio(self) -> float:
        """p50 of send_message over the p50s of the calls it wraps (aim: at most 1.15)."""
        return _p50(self.send) / (_p50(self.batch) + _p50(self.rest_send))

    @property
    def telemetry_ratio(self) -> float:
        """p50 of send_message with telemetry on, sampled as the distro samples by default,
        over off (aim: at most 1.05)."""
        return _p50(self.sampled_send) / _p50(self.send)

    @property
    def every_trace_ratio(self) -> float:
        """p50 of send_message with every trace recorded over telemetry off."""
        return _p50(self.traced_send) / _p50(self.send)

    def as_json(self) -> dict[str, Any]:
        arms = {
            "send_message": self.send,
            "cosmos_batch": self.batch,
            "rest_send": self.rest_send,
            "send_message_telemetry_sampled": self.sampled_send,
            "send_message_telemetry_every_trace": self.traced_send,
        }
        return {
            **{
                name: {"p50_ms": _p50(t) * 1e3, "p95_ms": _p95(t) * 1e3} for name, t in arms.items()
            },
            "ratio_p50": self.ratio,
            "telemetry_sampled_over_off_p50": self.telemetry_ratio,
            "telemetry_every_trace_over_off_p50": self.every_trace_ratio,
            "cpu_per_send_ms": _p50(self.send_cpu) * 1e3,
            "cpu_per_negotiate_ms": _p50(self.negotiate_cpu) * 1e3,
        }


def measure(iterations: int, warmup: int, latency_ms: int = 0) -> Timings:
    """Start the local servers (each adding ``latency_ms`` to its answers, as a round trip
    in Azure would), warm every arm up, then time ``iterations`` rounds."""
    with (
        start_cosmos_server(latency_ms=latency_ms) as cosmos,
        _signalr_emulator(latency_ms) as signalr,
    ):
        functions = _function_app(cosmos.endpoint, signalr)
        send, negotiate = _send(functions["send_message"]), _negotiate(functions["negotiate"])
        switch = TelemetrySwitch()
        sampled, traced = _traced(send, switch, DISTRO_DEFAULT), _traced(send, switch, EVERY_TRACE)
        send()  # creates the container, so the bare arm can use it
        container = (
            CosmosClient(cosmos.endpoint, EMULATOR_KEY, **CLIENT_OPTIONS)
            .get_database_client("docchat")
            .get_container_client(CONTAINER)
        )
        with HubClient(parse_connection_string(signalr), "documents") as hub:
            arms: list[Callable[[], object]] = [
                send,
                _BareAppend(container),
                lambda: hub.send_to_group(GROUP, "newMessage", [_message().to_json()]),
            ]
            for _ in range(warmup):
                for arm in [*arms, negotiate, sampled, traced]:
                    arm()
            timings: list[list[float]] = [[], [], []]
            sampled_times: list[float] = []
            traced_times: list[float] = []
            send_cpu: list[float] = []
            negotiate_cpu: list[float] = []
            for _ in range(iterations):
                for arm, times in zip(arms, timings, strict=True):
                    times.append(_timed(arm))
                send_cpu.append(_cpu(send))
                negotiate_cpu.append(_cpu(negotiate))
                samplings = ((DISTRO_DEFAULT, sampled_times), (EVERY_TRACE, traced_times))
                for sampler, times in samplings:
                    switch.on(sampler)
                    times.append(_timed(send))
                    switch.off()
    send_times, batch_times, rest_times = timings
    return Timings(
        send_times, batch_times, rest_times, send_cpu, negotiate_cpu, sampled_times, traced_times
    )


def _traced(
    send: Callable[[], object], switch: TelemetrySwitch, sampler: Sampler
) -> Callable[[], object]:
    """``send`` with telemetry on (for the warm-up: the timed rounds switch around the
    timing alone)."""

    def traced() -> object:
        switch.on(sampler)
        try:
            return send()
        finally:
            switch.off()

    return traced


def _function_app(cosmos_endpoint: str, signalr: str) -> dict[str, Callable[..., Any]]:
    """function_app loaded as the worker loads it, for these servers: its functions by name."""
    with _environment(
        DOCCHAT_AUTH="dev",
        DOCCHAT_ACCESS="open",
        # The per-user posting rate would refuse a benchmark's pace: it is not measured here.
        DOCCHAT_POSTS_PER_MINUTE="100000",
        DOCCHAT_POST_BURST="10000",
        DOCCHAT_SIGNALR_MODE="rest",
        COSMOS_ENDPOINT=cosmos_endpoint,
        COSMOS_KEY=EMULATOR_KEY,
        COSMOS_CONTAINER=CONTAINER,
        AzureSignalRConnectionString=signalr,
    ):
        spec = importlib.util.spec_from_file_location("function_app", ROOT / "function_app.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return {f.get_function_name(): f.get_user_function() for f in module.app.get_functions()}


def _send(user_function: Callable[..., Any]) -> Callable[[], object]:
    def send() -> object:
        request = func.HttpRequest(
            "POST",
            f"http://localhost/api/documents/{DOCUMENT}/messages",
            headers=HEADERS,
            route_params={"documentId": DOCUMENT},
            body=json.dumps({"text": "benchmark message text"}).encode(),
        )
        return _expect(201, user_function(req=request))

    return send


def _negotiate(user_function: Callable[..., Any]) -> Callable[[], object]:
    def negotiate() -> object:
        request = func.HttpRequest(
            "POST", "http://localhost/api/negotiate", headers=HEADERS, body=b""
        )
        return _expect(200, user_function(req=request))

    return negotiate


def _expect(status: int, response: func.HttpResponse) -> func.HttpResponse:
    if response.status_code != status:
        raise RuntimeError(f"the function answered {response.status_code}, not {status}")
    return response


class _BareAppend:
    """The store's batch for one message, issued bare: create the message with the next
    seq and replace the head if its ETag matches, keeping the new ETag as the store does."""

    def __init__(self, container: ContainerProxy) -> None:
        self._container = container
        self._seq = 0
        head = {"id": HEAD_ID, "documentId": BARE_DOCUMENT, "lastSeq": 0, "lastPosition": 0}
        self._etag = container.create_item(head)["_etag"]

    def __call__(self) -> None:
        self._seq += 1
        message = {**_message().stored_form(), "documentId": BARE_DOCUMENT}
        message.update(seq=self._seq, position=self._seq)
        head = {
            "id": HEAD_ID,
            "documentId": BARE_DOCUMENT,
            "lastSeq": self._seq,
            "lastPosition": self._seq,
        }
        results = self._container.execute_item_batch(
            [("create", (message,)), ("replace", (HEAD_ID, head), {"if_match_etag": self._etag})],
            partition_key=BARE_DOCUMENT,
        )
        self._etag = results[1]["eTag"]


@contextmanager
def _signalr_emulator(latency_ms: int) -> Iterator[str]:
    """The SignalR emulator in a process of its own, as the service is another machine's
    (in this process its threads would take the interpreter's lock from the send, which
    Azure's worker never shares with the service): its connection string."""
    command = [sys.executable, "-m", "devstack.signalr", "--port", "0"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop(ACCESS_KEY_VARIABLE, None)  # the public local key
    with subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, f"--latency-ms={latency_ms}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            banner = parse_connection_string(process.stdout.readline().partition("=")[2])
            yield connection_string(banner.endpoint, DEFAULT_ACCESS_KEY)
        finally:
            process.terminate()


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _message() -> Message:
    return Message(
        id=str(uuid.uuid4()),
        document_id=DOCUMENT,
        sender_id="bench-user",
        sender_name="Bench",
        text="benchmark message text",
        created_at=format_timestamp(datetime.now(UTC)),
    )


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _cpu(call: Callable[[], object]) -> float:
    started = time.thread_time()
    call()
    return time.thread_time() - started


def _p50(times: list[float]) -> float:
    return statistics.median(times)


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]
