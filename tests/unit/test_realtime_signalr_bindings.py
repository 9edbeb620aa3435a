"""Bindings mode's realtime: what a function writes to its ``signalR`` (and, for sends that
exclude connections, ``webPubSub``) output binding."""

from __future__ import annotations

import json

from realtime.signalr_bindings import BindingOutput
from realtime.webpubsub_bindings import OutputActions
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


def test_a_send_that_excludes_connections_is_still_one_group_message() -> None:
    """SignalRMessage has no excluded list: the excluded connections hear it too (the page
    drops its own user's typing), and it stays one item however big the room."""
    written: list[str] = []
    output = BindingOutput(written.append)

    output.send_to_group("document:a", "typing", {"user": "u"}, excluded=["c-1", "c-2"])

    assert parse_output(written[-1]) == [
        SignalRMessage(target="typing", arguments=[{"user": "u"}], group_name="document:a")
    ]


def test_a_revocation_takes_each_joined_connection_and_the_user_out_of_the_group() -> None:
    written: list[str] = []
    output = BindingOutput(written.append)

    output.stop_user_hearing("document:a", "u-1", ["c-1", "c-2"])

    assert parse_output(written[-1]) == [
        SignalRGroupAction(action="remove", group_name="document:a", connection_id="c-1"),
        SignalRGroupAction(action="remove", group_name="document:a", connection_id="c-2"),
        SignalRGroupAction(action="remove", group_name="document:a", user_id="u-1"),
    ]


def test_on_web_pubsub_a_send_that_excludes_connections_is_one_action_with_the_list() -> None:
    written: list[str] = []
    actions = OutputActions(written.append)

    actions.send_to_group("document:a", "typing", {"user": "u"}, excluded=["c-1"])

    (action,) = json.loads(written[-1])
    assert (action["actionName"], action["group"], action["excluded"]) == (
        "sendToGroup",
        "document:a",
        ["c-1"],
    )
    assert json.loads(action["data"]) == {"event": "typing", "data": {"user": "u"}}
