"""The page's main scenarios again with Azure Web PubSub as the real-time backend.

Chatting both ways, edits, deletions and reactions live and by catch-up, history after a
reload, outages of the service (twenty senders through a restart among them), presence and
typing, no "New messages" divider above what two people watched arrive, the thread panel
(replies, resolving, live and by catch-up), a mention's notification (a user-targeted server
message): the same tests as in test_chat_page, test_page_presence, test_page_sync,
test_page_threads and test_page_notifications, run here against a stack of this module's own
with ``DOCCHAT_REALTIME=webpubsub``: the Web PubSub emulator instead of SignalR's, the page on
the official ``@azure/web-pubsub-client`` (it picks the client from what negotiate answers),
presence and typing through the emulator's event handler calls. The browser driver reads both
backends' WebSocket frames as ``{target, arguments}``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.stack import LocalStack
from tests.e2e.scenario import OpenPage, new_document_id

# Collected here too, so they run with this module's stack.
from tests.e2e.test_chat_page import (
    test_history_is_there_after_a_reload_and_pages_back,
    test_page_reconnects_rejoins_and_catches_up_after_a_realtime_service_outage,
    test_two_users_chat_both_ways_and_another_documents_chat_shows_nothing_of_it,
)
from tests.e2e.test_page_gapless import (
    test_a_message_stored_but_not_broadcast_shows_as_saved_then_arrives,
    test_twenty_senders_through_a_realtime_service_restart_leave_the_page_with_every_message_once,
)
from tests.e2e.test_page_message_actions import (
    test_changes_made_while_a_page_is_offline_arrive_with_its_catch_up,
    test_edit_delete_and_react_reach_the_other_page_live,
)
from tests.e2e.test_page_notifications import (
    test_a_mention_lights_the_others_bell_live_and_the_inbox_jumps_to_the_message,
)
from tests.e2e.test_page_presence import (
    test_two_users_see_each_other_here_and_typing_and_leaving,
    test_typing_is_sent_only_for_text_and_at_most_every_few_seconds,
)
from tests.e2e.test_page_sync import test_messages_watched_as_they_arrive_are_not_marked_new
from tests.e2e.test_page_threads import (
    test_replies_made_while_a_page_is_offline_arrive_with_its_catch_up,
    test_reply_resolve_and_reopen_reach_the_other_page_live,
)

__all__ = [
    "test_a_mention_lights_the_others_bell_live_and_the_inbox_jumps_to_the_message",
    "test_a_message_stored_but_not_broadcast_shows_as_saved_then_arrives",
    "test_changes_made_while_a_page_is_offline_arrive_with_its_catch_up",
    "test_edit_delete_and_react_reach_the_other_page_live",
    "test_history_is_there_after_a_reload_and_pages_back",
    "test_messages_watched_as_they_arrive_are_not_marked_new",
    "test_page_reconnects_rejoins_and_catches_up_after_a_realtime_service_outage",
    "test_replies_made_while_a_page_is_offline_arrive_with_its_catch_up",
    "test_reply_resolve_and_reopen_reach_the_other_page_live",
    "test_twenty_senders_through_a_realtime_service_restart_leave_the_page_with_every_message_once",
    "test_two_users_chat_both_ways_and_another_documents_chat_shows_nothing_of_it",
    "test_two_users_see_each_other_here_and_typing_and_leaving",
    "test_typing_is_sent_only_for_text_and_at_most_every_few_seconds",
]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Cosmos DB, the Web PubSub emulator and the dev host, fresh for the module."""
    overrides = {"DOCCHAT_REALTIME": "webpubsub"}
    logs = tmp_path_factory.mktemp("devstack-logs")
    with LocalStack(log_dir=logs, settings_overrides=overrides) as running:
        assert running.uses_webpubsub
        yield running


def test_the_page_talks_web_pubsub(open_page: OpenPage) -> None:
    """The page's socket is Web PubSub's: the events arrive as its JSON messages."""
    page = open_page("erin")
    page.open("Erin", new_document_id("wps"))
    assert (
        page.evaluate(
            "performance.getEntriesByName(location.origin + '/vendor/web-pubsub-client.js').length"
        )
        == 1
    )
    assert page.live_events("presence"), "no presence event over Web PubSub"
