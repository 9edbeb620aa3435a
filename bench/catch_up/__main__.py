"""``python -m bench.catch_up``: how soon a page-like client is whole again after an outage.

Against the whole local stack, one listener configured like the demo page (client.mjs)
connects and syncs. Then, for each ``--outages`` duration in turn: the SignalR emulator is
stopped; ``--missed`` messages are posted (each a 503 with ``stored: true``); once the
duration has passed the emulator is started again on the same port. Measured from the
moment the emulator answers its health check again until the client holds every message
1..n: its reconnect, re-join and catch-up (``GET …/messages?after=<cursor>``) included.
Writes bench/results/catch_up.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.live import (
    RESULTS,
    NodeProcess,
    post_message,
    realtime_answers_again,
    running_stack,
)
from devstack.stack import LocalStack

CLIENT_SCRIPT = Path(__file__).with_name("client.mjs")
DOCUMENT = "catch-up-doc"
AIM_SECONDS = 2.0
#: The page's retry delays stop growing at 10 s; past that a client is broken, not slow.
EVENT_TIMEOUT = 30.0


def main() -> None:
    options = _parser().parse_args()
    with running_stack("catch_up") as stack:
        rounds = asyncio.run(_rounds(stack, options))
    for figures in rounds:
        met = "met" if figures["caught_up_s"] <= AIM_SECONDS else "MISSED"
        print(
            f"outage {figures['outage_s']:>4g} s: caught up {figures['caught_up_s']:.2f} s after "
            f"the emulator answered (aim <= {AIM_SECONDS:g} s: {met}); reconnected after "
            f"{figures['reconnected_s']:.2f} s, then re-joined and fetched in "
            f"{figures['rejoin_and_fetch_s'] * 1e3:.0f} ms; "
            f"sends while down: {figures['answers']}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "catch_up.json").write_text(
        json.dumps({"arguments": vars(options), "rounds": rounds}, indent=2) + "\n"
    )


async def _rounds(stack: LocalStack, options: argparse.Namespace) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        status, _ = await post_message(session, stack, DOCUMENT, _body())
        if status != 201:
            raise RuntimeError(f"the first message answered {status}")
        config = {
            "baseUrl": stack.base_url,
            "document": DOCUMENT,
            "user": "catch-up-reader",
        }
        async with NodeProcess.start(CLIENT_SCRIPT, "BENCH_CATCH_UP", config) as client:
            await client.expect("connected", EVENT_TIMEOUT)
            await client.expect("synced", EVENT_TIMEOUT)
            newest = 1
            rounds = []
            for outage in options.outages:
                figures = await _round(session, stack, client, outage, newest, options.missed)
                newest += options.missed
                rounds.append(figures)
    return rounds


async def _round(
    session: aiohttp.ClientSession,
    stack: LocalStack,
    client: NodeProcess,
    outage: float,
    newest: int,
    missed: int,
) -> dict[str, Any]:
    await asyncio.to_thread(stack.stop_signalr)
    stopped = time.monotonic()
    answers: dict[str, int] = {}
    for _ in range(missed):
        status, answer = await post_message(session, stack, DOCUMENT, _body())
        stored = answer.get("error", {}).get("stored") if status != 201 else True
        key = f"{status} stored:{json.dumps(stored)}"
        answers[key] = answers.get(key, 0) + 1
    await asyncio.sleep(max(0.0, stopped + outage - time.monotonic()))
    answering = asyncio.create_task(realtime_answers_again(session, stack))
    await asyncio.to_thread(stack.start_signalr)
    back = await answering
    await client.send({"command": "expect", "seq": newest + missed})
    seen: dict[str, float] = {}
    # Caught up: every message held and the sync that fetched them finished.
    while not {"complete", "reconnected", "synced"} <= seen.keys():
        event = await client.next_event(EVENT_TIMEOUT)
        if event["event"] == "exited":
            raise RuntimeError("the client exited")
        seen[event["event"]] = event["at"] / 1000
    caught_up = max(seen["complete"], seen["synced"])
    return {
        "outage_s": outage,
        "caught_up_s": caught_up - back,
        "reconnected_s": seen["reconnected"] - back,
        "rejoin_and_fetch_s": caught_up - seen["reconnected"],
        "answers": answers,
    }


def _body() -> dict[str, str]:
    return {"text": "catch-up probe", "senderId": "catch-up-bot", "senderName": "Catch-up"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.catch_up", description=__doc__)
    parser.add_argument(
        "--outages",
        type=float,
        nargs="+",
        default=[1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0],
        help="seconds down",
    )
    parser.add_argument("--missed", type=int, default=5, help="messages posted while down")
    return parser


if __name__ == "__main__":
    main()
