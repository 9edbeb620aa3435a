"""The page is gapless: it shows every stored message once, in seq order, whatever happens.

Messages reach the page by history, catch-up, live push and the replies to its own sends,
in any order and with any one of them missing for a while. These tests check what the page
ends up holding: the store's gap logic fed directly in the page, the page's own sends, and
a page watching twenty services post at once while the SignalR emulator dies and comes back.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from chat.domain.messages import Cursor
from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.concurrent_senders import SenderRun
from tests.e2e.scenario import OpenPage, new_document_id

pytestmark = pytest.mark.e2e

SENDERS = 20
PER_SENDER = 15
# Every sender waits before these message numbers: the outage starts after the first five
# of each and ends after the tenth, with posts racing both the kill and the restart.
OUTAGE_STARTS_AT = 5
OUTAGE_ENDS_AT = 10
SETTLE_TIMEOUT_S = 120.0

# Runs `steps` ([method, argument] pairs) on a fresh MessageStore from the page's own module;
# after each step, what the store shows and knows.
RUN_STORE_STEPS = """async (steps) => {
  const { MessageStore } = await import('/lib/docchat-client/message-store.js');
  const store = new MessageStore();
  return steps.map(([method, argument]) => {
    store[method](argument);
    return {
      shown: store.ordered.map((message) => [message.seq ?? null, message.text, message.status]),
      contiguousSeq: store.contiguousSeq,
      catchUpCursor: store.catchUpCursor,
      held: store.heldCount,
      incomplete: store.incomplete,
      reactions: store.ordered.map((message) => message.reactions ?? null),
    };
  });
}"""


SESSION_PROBE = Path(__file__).with_name("session_probe.js")


def run_session_probe(page: Page, **scenario: Any) -> dict[str, Any]:
    """Runs ``session_probe.js`` in the page with ``scenario``; its calls and final store."""
    source = SESSION_PROBE.read_text().strip()
    result: dict[str, Any] = page.evaluate(f"({source})({json.dumps(scenario)})")
    return result


def cursor(position: int) -> str:
    """The cursor the server gives for this stream position."""
    return Cursor(position).encode()


def server_message(
    seq: int, text: str = "", *, message_id: str = "", position: int = 0
) -> dict[str, Any]:
    """A message as the server sends it; ``text``, ``message_id`` and its stream ``position``
    follow ``seq`` unless given."""
    return {
        "id": message_id or f"m{seq}",
        "documentId": "store-test",
        "senderId": "someone",
        "senderName": "Someone",
        "text": text or f"message {seq}",
        "createdAt": f"2024-05-01T10:00:{seq:02d}.000Z",
        "seq": seq,
        "position": position or seq,
        "cursor": cursor(position or seq),
        "editedAt": None,
        "deleted": False,
        "reactions": {},
    }


def run_store_steps(page: Page, steps: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    states: list[dict[str, Any]] = page.evaluate(f"({RUN_STORE_STEPS})({json.dumps(steps)})")
    return states


def shown_seqs(state: dict[str, Any]) -> list[int | None]:
    return [seq for seq, _, _ in state["shown"]]


def test_store_holds_a_message_that_arrives_ahead_of_a_gap_until_the_gap_is_filled(
    open_page: OpenPage,
) -> None:
    page = open_page("store")
    page.open("Alice", new_document_id("store"))
    started, one, three, two, again = run_store_steps(
        page,
        [
            ("startFrom", []),
            ("addFromServer", [server_message(1)]),
            ("addFromServer", [server_message(3)]),
            # The catch-up after 1 brings 2 and 3 again: the held copy of 3 goes.
            ("addFromServer", [server_message(2), server_message(3)]),
            # The same id again (an edit, later) replaces the copy the store has.
            ("addFromServer", [server_message(2, "message 2, edited")]),
        ],
    )
    assert (started["contiguousSeq"], started["catchUpCursor"]) == (0, None)
    assert (shown_seqs(one), one["contiguousSeq"], one["catchUpCursor"]) == ([1], 1, cursor(1))

    # Seq 3 waits behind the missing 2, and the catch-up starts after 1, not after 3.
    assert shown_seqs(three) == [1]
    assert (three["held"], three["incomplete"], three["catchUpCursor"]) == (1, True, cursor(1))

    assert shown_seqs(two) == [1, 2, 3]
    assert (two["held"], two["incomplete"], two["contiguousSeq"]) == (0, False, 3)
    assert two["catchUpCursor"] == cursor(3)
    assert again["shown"][1] == [2, "message 2, edited", "sent"]
    assert len(again["shown"]) == 3


def test_store_replaces_changed_messages_by_id_and_catches_up_from_below_a_missed_change(
    open_page: OpenPage,
) -> None:
    page = open_page("store")
    page.open("Alice", new_document_id("store"))
    reacted = {**server_message(2, position=3), "reactions": {"👍": ["bob"]}}
    edited = {
        **server_message(1, "message 1, edited", position=4),
        "editedAt": "2024-05-01T10:01:00.000Z",
    }
    tombstone = {**server_message(3, position=6), "deleted": True}
    del tombstone["text"]
    started, change, new, caught_up, stale, deleted = run_store_steps(
        page,
        [
            ("startFrom", [server_message(2), server_message(1)]),
            # Live: the edit at position 4; the reaction at 3 never came.
            ("addFromServer", [edited]),
            ("addFromServer", [server_message(3, position=5)]),
            # The catch-up after 2 brings every change since, each message as it is now.
            ("addCaughtUp", [reacted, edited, server_message(3, position=5)]),
            # A copy older than the one shown changes nothing.
            ("addFromServer", [server_message(1)]),
            ("addFromServer", [tombstone]),
        ],
    )
    assert started["catchUpCursor"] == cursor(2)
    # The edit replaced message 1 in place; the catch-up must still start below the missed 3.
    assert change["shown"] == [[1, "message 1, edited", "sent"], [2, "message 2", "sent"]]
    assert (change["catchUpCursor"], change["incomplete"]) == (cursor(2), True)
    # A new message moves the seq on, not the catch-up past the missing change.
    assert (new["contiguousSeq"], new["catchUpCursor"], new["incomplete"]) == (3, cursor(2), True)
    assert (caught_up["catchUpCursor"], caught_up["incomplete"]) == (cursor(5), False)
    assert shown_seqs(caught_up) == [1, 2, 3]
    assert stale["shown"][0] == [1, "message 1, edited", "sent"]
    assert deleted["shown"][2] == [3, None, "sent"]
    assert (deleted["catchUpCursor"], deleted["incomplete"]) == (cursor(6), False)


def test_store_merges_a_reactions_change_and_catches_up_a_message_it_does_not_show(
    open_page: OpenPage,
) -> None:
    # Issue 26, finding 7: a reaction is broadcast as the reactions alone (reactionsChanged).
    page = open_page("store")
    page.open("Alice", new_document_id("store"))

    def reactions(seq: int, position: int, who: dict[str, list[str]]) -> dict[str, Any]:
        return {
            "id": f"m{seq}",
            "documentId": "store-test",
            "seq": seq,
            "position": position,
            "cursor": cursor(position),
            "reactions": who,
        }

    started, reacted, stale, unknown, caught_up = run_store_steps(
        page,
        [
            ("startFrom", [server_message(2), server_message(1)]),
            ("addReactions", reactions(1, 3, {"👍": ["bob"]})),
            # An older state of the reactions changes nothing.
            ("addReactions", reactions(1, 2, {})),
            # Message 9 is not shown: its position stays unseen until a catch-up brings it.
            ("addReactions", reactions(9, 4, {"🎉": ["carol"]})),
            ("addCaughtUp", [{**server_message(1, position=3), "reactions": {"👍": ["bob"]}}]),
        ],
    )
    assert started["reactions"] == [{}, {}]
    assert reacted["shown"] == [[1, "message 1", "sent"], [2, "message 2", "sent"]]
    assert reacted["reactions"] == [{"👍": ["bob"]}, {}]
    assert (reacted["catchUpCursor"], reacted["incomplete"]) == (cursor(3), False)
    assert stale["reactions"] == [{"👍": ["bob"]}, {}]
    assert (unknown["catchUpCursor"], len(unknown["shown"])) == (cursor(3), 2)
    assert caught_up["reactions"] == [{"👍": ["bob"]}, {}]


def test_store_starts_from_the_newest_page_and_keeps_own_unconfirmed_messages_last(
    open_page: OpenPage,
) -> None:
    page = open_page("store")
    page.open("Alice", new_document_id("store"))
    own = {"id": "mine", "documentId": "store-test", "senderId": "alice", "senderName": "Alice"}
    early, started, older, pending, confirmed = run_store_steps(
        page,
        [
            # A live push before the history page: held, nothing shown yet.
            ("addFromServer", [server_message(12)]),
            ("startFrom", [server_message(seq) for seq in (10, 9, 8)]),
            ("addOlder", [server_message(seq) for seq in (7, 6)]),
            ("addPending", {**own, "text": "mine", "createdAt": "2024-05-01T09:00:00.000Z"}),
            ("addFromServer", [server_message(11, "mine", message_id="mine")]),
        ],
    )
    assert (shown_seqs(early), early["held"], early["contiguousSeq"]) == ([], 1, None)
    assert (shown_seqs(started), started["held"], started["incomplete"]) == ([8, 9, 10], 1, True)
    assert started["catchUpCursor"] == cursor(10)
    assert shown_seqs(older) == [6, 7, 8, 9, 10]
    # Our message has no seq yet: it goes last, whatever its clock says.
    assert pending["shown"][-1] == [None, "mine", "pending"]
    # Its server copy fills the gap and releases the held 12.
    assert shown_seqs(confirmed) == [6, 7, 8, 9, 10, 11, 12]
    assert confirmed["shown"][5] == [11, "mine", "sent"]
    assert (confirmed["contiguousSeq"], confirmed["held"]) == (12, 0)


def test_session_fetches_a_gap_from_the_last_contiguous_message(open_page: OpenPage) -> None:
    page = open_page("session")
    page.open("Alice", new_document_id("session"))
    # Two messages are stored after the session went live; only the second is pushed to it.
    probe = run_session_probe(page, before=["one"], missed=["two", "three"], pushed=[1], sends=[])
    assert probe["calls"] == [["after", 1]]
    assert probe["shown"] == [[1, "one", "sent"], [2, "two", "sent"], [3, "three", "sent"]]


def test_session_whose_oldest_messages_expired_shows_what_is_left_and_waits_for_no_seq_1(
    open_page: OpenPage,
) -> None:
    page = open_page("session")
    page.open("Alice", new_document_id("session"))
    # The history is empty when the session opens (seq 1 and 2 expired); then seq 3 is
    # pushed: a gap below it that no catch-up can fill, as DOCCHAT_MESSAGE_TTL_DAYS makes.
    probe = run_session_probe(
        page, before=["one", "two"], expired=2, missed=["three"], pushed=[0], sends=[]
    )
    assert probe["shown"] == [[3, "three", "sent"]]


def test_store_stops_waiting_for_expired_seqs_only_up_to_what_a_whole_catch_up_covered(
    open_page: OpenPage,
) -> None:
    page = open_page("store")
    page.open("Alice", new_document_id("store"))
    _, held, caught_up = run_store_steps(
        page,
        [
            ("startFrom", [server_message(seq) for seq in (5, 4)]),
            ("addFromServer", [server_message(7), server_message(9)]),
            # A whole catch-up began while 7 was the newest held: 6 is gone, 8 may yet come.
            ("noneMissingUpTo", 7),
        ],
    )
    assert (shown_seqs(held), held["held"]) == ([4, 5], 2)
    assert (shown_seqs(caught_up), caught_up["held"], caught_up["contiguousSeq"]) == (
        [4, 5, 7],
        1,
        7,
    )


def test_session_sends_one_at_a_time_and_retries_only_what_may_pass(open_page: OpenPage) -> None:
    page = open_page("session")
    page.open("Alice", new_document_id("session"))
    sends = [
        {"text": "unknown outcome", "failures": [{"status": 503, "stored": None}]},
        {"text": "not stored", "failures": [{"status": 503, "stored": False}]},
        {"text": "stored, not broadcast", "failures": [{"status": 503, "stored": True}]},
        {"text": "refused", "failures": [{"status": 400, "stored": None}]},
    ]
    probe = run_session_probe(page, before=[], missed=[], pushed=[], sends=sends)
    posted = [call[1:] for call in probe["calls"] if call[0] == "send"]
    # In the order typed, each finished before the next went out; what may pass was tried
    # again with the same id; the stored one was not sent again but fetched by a catch-up.
    assert [text for text, _ in posted] == [
        "unknown outcome",
        "unknown outcome",
        "not stored",
        "not stored",
        "stored, not broadcast",
        "refused",
    ]
    assert len({message_id for _, message_id in posted}) == len(sends)
    assert ["after", 2] in probe["calls"]
    assert probe["shown"] == [
        [1, "unknown outcome", "sent"],
        [2, "not stored", "sent"],
        [3, "stored, not broadcast", "sent"],
        [None, "refused", "failed"],
    ]


def test_back_to_back_sends_keep_the_order_they_were_typed_in(open_page: OpenPage) -> None:
    alice = open_page("alice")
    alice.open("Alice", new_document_id("burst"))
    typed = [f"Point {number} of the agenda" for number in range(1, 9)]
    for text in typed:
        alice.submit(text)
    alice.wait_for_sent_count(len(typed))
    shown = alice.messages()
    assert [message["text"] for message in shown] == typed
    assert [message["seq"] for message in shown] == list(range(1, len(typed) + 1))


def test_a_message_stored_but_not_broadcast_shows_as_saved_then_arrives(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("saved")
    alice = open_page("alice")
    alice.open("Alice", document_id)
    alice.send("Before the outage.")

    text = "Written while live updates are down."
    stack.stop_realtime()
    try:
        alice.wait_for_connection("reconnecting", "offline")
        alice.submit(text)
        alice.wait_for_status(text, "stored")
    finally:
        stack.start_realtime()
    alice.wait_live()
    alice.wait_for_status(text, "sent")
    shown = alice.messages()
    assert [(m["text"], m["seq"]) for m in shown] == [("Before the outage.", 1), (text, 2)]


def test_twenty_senders_through_a_realtime_service_restart_leave_the_page_with_every_message_once(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("gapless")
    watcher = open_page("watcher")
    watcher.open("Watcher", document_id)

    outage_started, outage_ended = threading.Event(), threading.Event()
    run = SenderRun(
        stack,
        document_id,
        senders=SENDERS,
        per_sender=PER_SENDER,
        gates={OUTAGE_STARTS_AT: outage_started, OUTAGE_ENDS_AT: outage_ended},
    )
    run.start()
    try:
        # Kill the emulator while the last of the first five per sender are still going out.
        run.wait_until_done(SENDERS * OUTAGE_STARTS_AT * 3 // 4, SETTLE_TIMEOUT_S)
        stack.stop_realtime()
        outage_started.set()
        watcher.wait_for_connection("reconnecting", "offline")
        # Restart it while the last posts of the outage are still going out.
        run.wait_until_done(SENDERS * OUTAGE_ENDS_AT * 7 // 8, SETTLE_TIMEOUT_S)
    finally:
        stack.start_realtime()
        outage_started.set()
        outage_ended.set()
    run.join(SETTLE_TIMEOUT_S)
    assert (run.errors, run.unsettled) == ([], [])
    assert len(run.sent) == run.total

    watcher.wait_live()
    watcher.wait_for_sent_count(run.total)
    shown = watcher.messages()
    assert sorted(m["id"] for m in shown) == sorted(sent.id for sent in run.sent)
    assert [m["seq"] for m in shown] == list(range(1, run.total + 1))
    seq_of = {m["id"]: m["seq"] for m in shown}
    text_of = {m["id"]: m["text"] for m in shown}
    assert all(text_of[sent.id] == sent.text for sent in run.sent)
    # Where the reply said which seq the server gave, the page agrees.
    assert all(seq_of[sent.id] == sent.seq for sent in run.sent if sent.seq is not None)
    # Each sender posted one message after another, so its seqs rise in its own order.
    for sender in range(SENDERS):
        own = [seq_of[sent.id] for sent in run.sent if sent.sender == sender]
        assert own == sorted(own), f"sender {sender}: seqs out of order {own}"
    assert watcher.snapshot()["notice"] is None


# The page's own ChatSession, whose join keeps answering connection_not_yet_known (the app
# failed to handle this connection's connected event): how long until it asks for a new
# connection, and how often it tried the join meanwhile.
STUCK_JOIN_PROBE = """async () => {
  const { ChatSession } = await import('/lib/docchat-client/chat-session.js');
  const { ApiError } = await import('/lib/docchat-client/api.js');
  let joins = 0;
  const api = {
    join: async () => {
      joins += 1;
      throw new ApiError(503, 'connection_not_yet_known', 'not yet reported');
    },
  };
  const began = Date.now();
  const given = await new Promise((resolve) => {
    const session = new ChatSession({
      documentId: 'probe', api, user: { id: 'alice' }, onChange: () => {}, onNotice: () => {},
      onUnknownConnection: (connectionId) => resolve(connectionId),
    });
    session.sync('conn-stuck');
  });
  return { given, joins, waited: Date.now() - began };
}"""


def test_a_page_whose_connection_stays_unknown_connects_again(open_page: OpenPage) -> None:
    """A connected event the app failed to handle (a store timeout under load) would leave
    every join not-yet-known for good: after about 3 s of that the page asks for a new
    connection, whose connected event comes afresh."""
    page = open_page("stuck")
    page.open("Alice", new_document_id("stuck"))

    probe: dict[str, Any] = page.evaluate(f"({STUCK_JOIN_PROBE})()")

    assert probe["given"] == "conn-stuck"
    assert 3000 <= probe["waited"] < 8000
    assert probe["joins"] >= 4  # retried soon (0.2, 0.4, 0.8 s...) before giving up
