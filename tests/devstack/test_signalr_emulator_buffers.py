"""The emulator's per-connection outbox and its stateful-reconnect bookkeeping."""

from __future__ import annotations

import asyncio

import pytest

from devstack.emulator_core.outbox import Outbox
from devstack.signalr.stateful import IncomingSequence, ReplayBuffer


async def test_outbox_hands_out_everything_queued_in_order_up_to_a_frame_size() -> None:
    outbox = Outbox(limit=100)
    for frame in (b"aaaa", b"bbbb", b"cccc"):
        assert outbox.put(frame)
    assert outbox.size == 12
    assert await outbox.take(max_bytes=8) == [b"aaaa", b"bbbb"]
    assert await outbox.take(max_bytes=8) == [b"cccc"]
    assert outbox.size == 0


async def test_outbox_hands_out_a_frame_larger_than_the_frame_size_alone() -> None:
    outbox = Outbox(limit=100)
    outbox.put(b"x" * 20)
    outbox.put(b"y")
    assert await outbox.take(max_bytes=8) == [b"x" * 20]


async def test_outbox_refuses_a_frame_that_would_exceed_its_limit() -> None:
    outbox = Outbox(limit=10)
    assert outbox.put(b"123456")
    assert not outbox.put(b"12345")
    assert outbox.put(b"1234")
    assert outbox.size == 10


async def test_outbox_wakes_its_writer_when_a_frame_arrives() -> None:
    outbox = Outbox(limit=100)
    taking = asyncio.create_task(outbox.take(max_bytes=100))
    await asyncio.sleep(0)
    assert not taking.done()
    outbox.put(b"hello")
    assert await asyncio.wait_for(taking, 1) == [b"hello"]


async def test_outbox_starts_with_its_first_frames_even_over_the_limit() -> None:
    outbox = Outbox(limit=4, first_frames=[b"greeting", b"owed"])
    assert not outbox.put(b"x")
    assert await outbox.take(max_bytes=100) == [b"greeting", b"owed"]


async def test_finished_outbox_sends_its_last_frame_then_nothing() -> None:
    outbox = Outbox(limit=10)
    outbox.put(b"queued")
    outbox.finish(b"close message over the limit")
    assert outbox.put(b"ignored")
    assert await outbox.take(max_bytes=100) == [b"queued", b"close message over the limit"]
    assert await outbox.take(max_bytes=100) == []


async def test_finishing_can_drop_what_a_slow_client_never_read() -> None:
    outbox = Outbox(limit=10)
    outbox.put(b"stale")
    outbox.finish(b"close", discard_queued=True)
    assert await outbox.take(max_bytes=100) == [b"close"]


def test_replay_buffer_numbers_frames_from_one_and_forgets_acknowledged_ones() -> None:
    replay = ReplayBuffer(limit=100)
    for frame in (b"m1", b"m2", b"m3"):
        assert replay.add(frame)
    assert replay.first_unacknowledged == 1
    replay.acknowledge(2)
    assert replay.first_unacknowledged == 3
    assert replay.frames() == [b"m3"]
    assert replay.size == 2
    replay.acknowledge(99)
    assert replay.frames() == []
    assert replay.first_unacknowledged == 4


def test_replay_buffer_refuses_frames_over_its_limit() -> None:
    replay = ReplayBuffer(limit=5)
    assert replay.add(b"123")
    assert not replay.add(b"456")
    assert replay.frames() == [b"123"]


def test_incoming_sequence_skips_messages_resent_after_a_reconnect() -> None:
    incoming = IncomingSequence()
    assert [incoming.is_new() for _ in range(3)] == [True, True, True]
    assert incoming.latest == 3
    incoming.restart_at(2)
    assert [incoming.is_new() for _ in range(3)] == [False, False, True]
    assert incoming.latest == 4


def test_incoming_sequence_refuses_a_restart_that_would_skip_messages() -> None:
    incoming = IncomingSequence()
    incoming.is_new()
    with pytest.raises(ValueError, match="skips messages"):
        incoming.restart_at(3)
