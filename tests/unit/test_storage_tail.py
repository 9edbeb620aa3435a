"""storage.cosmos.tail: catch-ups served from a document's kept newest messages, against a
stream that commits positions in order, as the store's head makes Cosmos DB do."""

from __future__ import annotations

import dataclasses
import random
import threading

import pytest

from chat.domain.messages import Message
from storage.cosmos.tail import RecentTail

DOC = "doc-1"


class Stream:
    """One document's messages: an append or a change takes the next position."""

    def __init__(self) -> None:
        self.latest: dict[str, Message] = {}
        self.position = 0
        #: What the stream held at each position.
        self.history: dict[int, dict[str, Message]] = {0: {}}
        self.queried: list[int] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def append(self, message_id: str) -> None:
        self.position += 1
        self.latest[message_id] = Message(
            message_id, DOC, "alice", "Alice", message_id, "t", position=self.position
        )
        self.history[self.position] = dict(self.latest)

    def change(self, message_id: str) -> None:
        self.position += 1
        message = self.latest[message_id]
        text = f"{message.text}'"
        self.latest[message_id] = dataclasses.replace(message, text=text, position=self.position)
        self.history[self.position] = dict(self.latest)

    def query(self, position: int, limit: int) -> list[Message]:
        self.queried.append(position)
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        return self.now(position, limit)

    def now(self, position: int, limit: int) -> list[Message]:
        """What a query past ``position`` finds now (not counted as one)."""
        past = [m for m in self.latest.values() if m.position > position]
        return sorted(past, key=lambda m: m.position)[:limit]


def read(
    tail: RecentTail, stream: Stream, position: int, limit: int, wait: float = 0.0
) -> list[Message]:
    return tail.after(DOC, position, limit, stream.query, wait)


def stream_of(count: int) -> Stream:
    stream = Stream()
    for n in range(count):
        stream.append(f"m{n + 1}")
    return stream


def test_a_catch_up_from_a_kept_position_asks_only_past_the_kept_range() -> None:
    stream, tail = stream_of(5), RecentTail()
    first = read(tail, stream, 1, 10)
    again = read(tail, stream, 2, 10)

    assert [m.id for m in first] == ["m2", "m3", "m4", "m5"]
    assert again == first[1:]
    assert stream.queried == [1, 5]


def test_a_message_changed_since_it_was_kept_comes_once_in_its_new_place() -> None:
    stream, tail = stream_of(3), RecentTail()
    read(tail, stream, 0, 10)
    stream.change("m2")
    stream.append("m4")

    assert [(m.id, m.position) for m in read(tail, stream, 0, 10)] == [
        ("m1", 1),
        ("m3", 3),
        ("m2", 4),
        ("m4", 5),
    ]


def test_a_catch_up_a_page_or_more_behind_the_kept_range_reads_from_its_own_position() -> None:
    """The kept m2 has moved on, and the query past the kept range finds a whole page: m2's
    new place may lie beyond it, so nothing kept is trusted."""
    stream, tail = stream_of(3), RecentTail()
    read(tail, stream, 0, 10)
    for n in range(4, 8):
        stream.append(f"m{n}")
    stream.change("m2")

    page = read(tail, stream, 0, 3)

    assert [m.id for m in page] == ["m1", "m3", "m4"]
    assert stream.queried == [0, 3, 0]


@pytest.mark.parametrize("seed", range(200))
def test_every_page_is_the_document_as_it_is_now(seed: int) -> None:
    """Writes, changes and catch-ups from anywhere, interleaved, through a tail that keeps
    few or many: each page is exactly what a query of Cosmos DB would find at that moment."""
    draw, stream = random.Random(seed), stream_of(5)
    tail = RecentTail(max_messages=draw.choice((4, 50)))
    for _ in range(30):
        for _ in range(draw.randint(0, 3)):
            if draw.random() < 0.5:
                stream.append(f"m{stream.position + 1}")
            else:
                stream.change(draw.choice(list(stream.latest)))
        cursor, limit = draw.randint(0, stream.position), draw.randint(1, 5)

        assert read(tail, stream, cursor, limit) == stream.now(cursor, limit)


def test_misses_of_one_document_wait_for_the_read_in_flight() -> None:
    stream, tail = stream_of(5), RecentTail()
    stream.gate = threading.Event()
    leader = threading.Thread(target=read, args=(tail, stream, 0, 10))
    leader.start()
    assert stream.entered.wait(10)
    others = [threading.Thread(target=read, args=(tail, stream, 0, 10, 10.0)) for _ in range(10)]
    for thread in others:
        thread.start()
    stream.gate.set()
    for thread in [leader, *others]:
        thread.join(10)

    assert stream.queried.count(0) == 1
    assert set(stream.queried) == {0, 5}


def test_a_failed_read_lets_the_next_one_read_at_once() -> None:
    stream, tail = stream_of(2), RecentTail()

    def broken(position: int, limit: int) -> list[Message]:
        raise TimeoutError

    with pytest.raises(TimeoutError):
        tail.after(DOC, 0, 10, broken, 0.0)
    reader = threading.Thread(target=read, args=(tail, stream, 0, 10, 60.0))
    reader.start()
    reader.join(10)

    assert not reader.is_alive()
    assert stream.queried == [0]


def test_a_kept_range_is_read_again_once_it_is_too_old() -> None:
    now = [0.0]
    stream, tail = stream_of(3), RecentTail(max_age=30.0, clock=lambda: now[0])
    read(tail, stream, 0, 10)
    now[0] = 31.0
    read(tail, stream, 0, 10)

    assert stream.queried == [0, 0]


def test_only_the_newest_messages_and_documents_are_kept() -> None:
    stream, tail = stream_of(5), RecentTail(max_messages=3, max_documents=1)
    read(tail, stream, 0, 10)
    read(tail, stream, 2, 10)  # m3 - m5 kept
    read(tail, stream, 0, 10)  # below them: read again
    tail.after("doc-2", 0, 10, Stream().query, 0.0)
    read(tail, stream, 2, 10)  # doc-2 took the only place

    assert stream.queried == [0, 5, 0, 2]


def test_long_texts_are_kept_only_up_to_the_text_bound() -> None:
    stream, tail = stream_of(5), RecentTail(max_text=5)  # each text is "mN": 2 characters
    read(tail, stream, 0, 10)
    read(tail, stream, 3, 10)  # m4, m5 kept
    read(tail, stream, 2, 10)  # m3 would pass the bound: read again

    assert stream.queried == [0, 5, 2]


def test_an_older_read_with_a_gap_below_the_kept_range_leaves_it_kept() -> None:
    stream, tail = stream_of(9), RecentTail()
    read(tail, stream, 6, 10)
    read(tail, stream, 0, 2)  # (0, 2]: a gap up to 6
    read(tail, stream, 7, 10)

    assert stream.queried == [6, 0, 9]


def test_forget_drops_every_kept_range() -> None:
    stream, tail = stream_of(2), RecentTail()
    read(tail, stream, 0, 10)
    tail.forget()
    read(tail, stream, 0, 10)

    assert stream.queried == [0, 0]
