"""The Web PubSub REST client as the app builds it: its calls stay inside the budget."""

from __future__ import annotations

from chat.settings import AuthMode
from realtime.webpubsub_rest import TIMEOUTS, WebPubSubRest
from realtime.webpubsub_settings import load_webpubsub_settings

ENDPOINT = "Endpoint=http://127.0.0.1:8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123=;"


def test_rest_calls_keep_their_timeouts_over_the_pooled_transport() -> None:
    # A client given a transport takes none of its own timeout options (azure-core's
    # PipelineClient): the transport must carry them, or a call waits azure-core's 300 s.
    settings = load_webpubsub_settings({"WebPubSubConnectionString": ENDPOINT}, AuthMode.DEV)
    client = WebPubSubRest(settings).realtime()._client  # type: ignore[attr-defined]
    config = client._client._pipeline._transport.connection_config

    assert (
        (config.timeout, config.read_timeout)
        == (
            TIMEOUTS["connection_timeout"],
            TIMEOUTS["read_timeout"],
        )
        == (0.5, 1.0)
    )
