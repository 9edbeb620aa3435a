"""Many backend services posting to one document at once, each keeping account of what it sent.

Each sender posts its messages one after another through the service route, each with its
own id, and settles every one: a 2xx or a 503 with ``"stored": true`` means the server kept
it; any other answer (or none) is tried again with the same id, which never makes a copy.
Senders can be held at given message numbers until a gate opens, so a test can put an
outage in the middle of the run without sleeping.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from devstack.stack import LocalStack

SENDER_NAME = "Load bot"
# Another try with the same id is always safe; more than a few means something is broken.
ATTEMPTS = 5
GATE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Sent:
    """One message the server kept: its id and text, and its seq when the reply carried it."""

    sender: int
    id: str
    text: str
    seq: int | None


@dataclass
class SenderRun:
    """``senders`` threads posting ``per_sender`` messages each to ``document_id``.

    ``gates`` maps a message number to an event: every sender waits for that event before
    posting that message. :attr:`sent` gathers what the server kept, :attr:`unsettled` what
    never got a definite answer, :attr:`errors` what went wrong in a sender itself.
    """

    stack: LocalStack
    document_id: str
    senders: int
    per_sender: int
    gates: dict[int, threading.Event] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _done: int = 0
    _progress: threading.Condition = field(default_factory=threading.Condition)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.senders * self.per_sender

    def start(self) -> None:
        for sender in range(self.senders):
            thread = threading.Thread(target=self._run, args=(sender,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_until_done(self, count: int, timeout: float) -> None:
        """Waits until ``count`` messages have been settled (or given up on)."""
        with self._progress:
            if not self._progress.wait_for(lambda: self._done >= count, timeout):
                raise AssertionError(f"{self._done} of {count} messages settled in {timeout} s")

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a sender is still posting"

    def _run(self, sender: int) -> None:
        with requests.Session() as session:
            for number in range(self.per_sender):
                gate = self.gates.get(number)
                if gate is not None and not gate.wait(GATE_TIMEOUT_S):
                    with self._progress:
                        self.errors.append(f"sender {sender}: gate {number} never opened")
                    return
                text = f"Load bot {sender:02d} message {number:02d}"
                kept = self._post(session, sender, text)
                with self._progress:
                    if kept is None:
                        self.unsettled.append(text)
                    else:
                        self.sent.append(kept)
                    self._done += 1
                    self._progress.notify_all()

    def _post(self, session: requests.Session, sender: int, text: str) -> Sent | None:
        """Posts until the server has kept the message; None if it never said so."""
        message_id = str(uuid.uuid4())
        body = {
            "text": text,
            "id": message_id,
            "senderId": f"load-bot-{sender:02d}",
            "senderName": SENDER_NAME,
        }
        document = quote(self.document_id, safe="")
        url = f"{self.stack.base_url}/api/service/documents/{document}/messages"
        for _ in range(ATTEMPTS):
            try:
                response = session.post(
                    url, json=body, headers={"x-functions-key": self.stack.function_key}, timeout=30
                )
            except requests.RequestException:
                continue
            if response.ok:
                return Sent(sender, message_id, text, response.json()["seq"])
            if stored_anyway(response):
                return Sent(sender, message_id, text, None)
        return None


def stored_anyway(response: requests.Response) -> bool:
    """Whether a failed send's answer says the server kept the message all the same."""
    try:
        return response.json()["error"]["stored"] is True
    except (ValueError, KeyError, TypeError):
        return False
