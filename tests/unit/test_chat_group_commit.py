"""How the Cosmos DB message store groups the writes waiting for one document into batches,
and how it pauses after a head conflict (pure logic; the batches themselves run against the
local Cosmos DB server in tests/integration/test_storage_store.py)."""

from __future__ import annotations

import pytest

from chat.domain.happenings import happening_of
from chat.domain.messages import Message
from storage.cosmos.store import (
    FIRST_PAUSE_SECONDS,
    MAX_BATCH_BYTES,
    MAX_BATCH_WRITES,
    MAX_PAUSE_SECONDS,
    MIN_SEND_SECONDS,
    _next_batch,
    _Write,
    pause,
)
from tests.fixtures.chat import ALICE

NOW = 1000.0


def write(n: int, *, text: str = "hi", deadline: float = NOW + 1.5) -> _Write:
    message = Message(
        id=f"m{n}",
        document_id="doc-1",
        sender_id="alice-id",
        sender_name="Alice",
        text=text,
        created_at="2026-11-22T11:17:19.123Z",
    )
    return _Write(message, deadline, happening_of(None, message, ALICE))


def test_pauses_grow_exponentially_from_the_first_up_to_the_cap_with_full_jitter() -> None:
    ceilings = [pause(conflicts, lambda: 1.0) for conflicts in range(1, 10)]

    assert ceilings[:4] == [FIRST_PAUSE_SECONDS * 2**n for n in range(4)]
    assert ceilings[-1] == MAX_PAUSE_SECONDS
    assert ceilings == sorted(ceilings)
    assert pause(3, lambda: 0.0) == 0.0
    assert pause(3, lambda: 0.5) == ceilings[2] / 2
    assert pause(10_000, lambda: 1.0) == MAX_PAUSE_SECONDS


@pytest.mark.parametrize("max_writes", [MAX_BATCH_WRITES, MAX_BATCH_WRITES - 1])
def test_a_batch_takes_at_most_its_writes_in_order_leaving_the_rest_waiting(
    max_writes: int,
) -> None:
    """99 beside the head; 98 when the outbox item is one more operation."""
    waiting = [write(n) for n in range(150)]

    batch = _next_batch(waiting, NOW, max_writes)

    assert [w.message.id for w in batch] == [f"m{n}" for n in range(max_writes)]
    assert [w.message.id for w in waiting] == [f"m{n}" for n in range(max_writes, 150)]


def test_a_batch_stays_under_two_megabytes() -> None:
    """Non-ASCII text is sent escaped (6 bytes a character): 99 such messages would not fit."""
    waiting = [write(n, text="é" * 4000) for n in range(99)]

    batch = _next_batch(waiting, NOW, MAX_BATCH_WRITES)

    assert 0 < len(batch) < 99
    assert sum(w.size for w in batch) <= MAX_BATCH_BYTES
    assert len(batch) + len(waiting) == 99


def test_an_id_goes_once_per_batch_and_a_write_about_to_expire_is_not_sent() -> None:
    """A batch-mate with the same id would fail the batch on a 409 that means nothing; a
    write with no time left to hear the answer would only turn "not sent" into "unknown"."""
    hurried = write(3, deadline=NOW + MIN_SEND_SECONDS / 2)
    waiting = [write(1), write(2), write(1), hurried, write(4)]

    batch = _next_batch(waiting, NOW, MAX_BATCH_WRITES)

    assert [w.message.id for w in batch] == ["m1", "m2", "m4"]
    assert [w.message.id for w in waiting] == ["m1", "m3"]


def test_one_write_larger_than_a_batch_is_still_sent_alone_for_cosmos_db_to_refuse() -> None:
    waiting = [write(1, text="x" * (MAX_BATCH_BYTES + 1)), write(2)]

    assert [w.message.id for w in _next_batch(waiting, NOW, MAX_BATCH_WRITES)] == ["m1"]
