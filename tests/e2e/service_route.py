"""Posting as a backend service does: the function-key route the page cannot use itself."""

from __future__ import annotations

import time
from urllib.parse import quote

import requests

from devstack.stack import LocalStack

BOT_ID = "build-bot"
BOT_NAME = "Build bot"
# A refusal that stored nothing (503, the store busy on a loaded machine) is tried again
# after its Retry-After (at most RETRY_WAIT_S), this many times in all, as a client does.
POST_TRIES = 4
RETRY_WAIT_S = 2.0


def post_as_service(
    stack: LocalStack, document_id: str, text: str, *, mentions: tuple[str, ...] = ()
) -> requests.Response:
    """``POST /api/service/documents/{id}/messages`` as the build bot, with the function key,
    mentioning these user ids. A 503 that stored the message (the realtime service down) is
    answered as it came: only one that stored nothing is tried again."""
    for _ in range(POST_TRIES - 1):
        response = _post(stack, document_id, text, mentions)
        if response.status_code != 503 or response.json()["error"]["stored"]:
            return response
        time.sleep(min(float(response.headers.get("Retry-After", "1")), RETRY_WAIT_S))
    return _post(stack, document_id, text, mentions)


def _post(
    stack: LocalStack, document_id: str, text: str, mentions: tuple[str, ...]
) -> requests.Response:
    return requests.post(
        f"{stack.base_url}/api/service/documents/{quote(document_id, safe='')}/messages",
        json={"text": text, "senderId": BOT_ID, "senderName": BOT_NAME, "mentions": list(mentions)},
        headers={"x-functions-key": stack.function_key},
        timeout=30,
    )
