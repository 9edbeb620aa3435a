"""Bindings mode's realtime: what a function writes to its ``signalR`` output binding."""

from __future__ import annotations

from realtime.signalr_bindings import BindingOutput
from signalr.bindings import SignalRGroupAction, SignalRMessage, parse_output


def test_each_call_re_emits_every_item_so_far_as_one_binding_value() -> None:
    written: list[str] = []
    output = BindingOutput(written.append)

    output.remove_from_group("document:a", "c-1")
    output.send_to_group("document:b", "newMessage", {"text": "hi"})

    assert parse_output(written[-1]) == [
        SignalRGroupAction(action="remove", group_name="document:a", connection_id="c-1"),
        SignalRMessage(target="newMessage", arguments=[{"text": "hi"}], group_name="document:b"),
    ]
    assert len(parse_output(written[0])) == 1
