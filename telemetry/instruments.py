"""The metric instruments docchat reports (through :mod:`shared.signals`): each name, its
kind, unit and meaning. A report under a name not listed here is a bug (KeyError)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["INSTRUMENTS", "Instrument"]


@dataclass(frozen=True)
class Instrument:
    kind: Literal["counter", "histogram"]
    unit: str
    description: str


INSTRUMENTS: dict[str, Instrument] = {
    "docchat.invocations": Instrument(
        "counter", "{invocation}", "Invocations by function, trigger and status class"
    ),
    "docchat.sends": Instrument(
        "counter", "{message}", "Sends answered, by code: 'accepted' or the refusal's code"
    ),
    "docchat.send.duration": Instrument(
        "histogram", "ms", "How long send_message took, from request to answer"
    ),
    "docchat.unavailable": Instrument("counter", "{answer}", "503 answers, by cause (code)"),
    "docchat.head_conflicts": Instrument(
        "counter", "{conflict}", "Batches refused because a document's head had moved (412)"
    ),
    "docchat.group_commit.size": Instrument(
        "histogram", "{write}", "Writes committed together in one transactional batch"
    ),
    "docchat.breaker.opens": Instrument(
        "counter", "{open}", "Breakers opened by an outage, by dependency"
    ),
    "docchat.realtime.events": Instrument(
        "counter", "{event}", "Presence (connected, disconnected) and typing events handled"
    ),
    "docchat.notifications": Instrument(
        "counter", "{notification}", "Notifications sent by the outbox"
    ),
    "docchat.outbox.batches": Instrument(
        "counter", "{batch}", "Outbox messages processed, by outcome, with their retries"
    ),
    "docchat.webhook.deliveries": Instrument(
        "counter", "{delivery}", "Webhook delivery tries, by outcome and try number"
    ),
}
