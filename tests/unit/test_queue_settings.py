"""The work queues' settings (storage/queues.py), read as the Functions host reads a queue
trigger's ``connection`` (a connection string, or ``__queueServiceUri`` with
``__credential``/``__clientId``), and the answer a queue outage gets."""

from __future__ import annotations

import pytest

from chat.api.failures import answer
from chat.domain.errors import QueueUnavailable
from chat.settings import SettingsError
from storage.queues import QueueSettings, load_queue_settings, load_queues

AZURITE = "UseDevelopmentStorage=true"
SERVICE = "https://docchat.queue.core.windows.net"


def test_no_queue_setting_means_no_queues() -> None:
    assert load_queues({}) is None


def test_a_connection_string_names_the_account() -> None:
    assert load_queue_settings({"DOCCHAT_QUEUE": AZURITE}) == QueueSettings(
        connection_string=AZURITE
    )


def test_the_connection_string_stays_out_of_repr() -> None:
    assert AZURITE not in repr(load_queue_settings({"DOCCHAT_QUEUE": AZURITE}))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, QueueSettings(service_uri=SERVICE)),
        ({"DOCCHAT_QUEUE__clientId": "c-1"}, QueueSettings(service_uri=SERVICE, client_id="c-1")),
        (
            {"DOCCHAT_QUEUE__credential": "managedidentity", "DOCCHAT_QUEUE__clientId": "c-1"},
            QueueSettings(service_uri=SERVICE, managed_identity=True, client_id="c-1"),
        ),
    ],
    ids=["default-credential", "default-credential-with-client-id", "user-assigned"],
)
def test_a_queue_service_uri_is_keyless(extra: dict[str, str], expected: QueueSettings) -> None:
    environ = {"DOCCHAT_QUEUE__queueServiceUri": SERVICE, **extra}

    assert load_queue_settings(environ) == expected


@pytest.mark.parametrize(
    "environ",
    [
        {"DOCCHAT_QUEUE": AZURITE, "DOCCHAT_QUEUE__queueServiceUri": SERVICE},
        {"DOCCHAT_QUEUE__queueServiceUri": "docchat.queue.core.windows.net"},
        {"DOCCHAT_QUEUE__queueServiceUri": SERVICE, "DOCCHAT_QUEUE__credential": "clientsecret"},
    ],
    ids=["both", "not-a-url", "unknown-credential"],
)
def test_contradictory_or_unknown_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="DOCCHAT_QUEUE"):
        load_queue_settings(environ)


def test_a_queue_outage_is_a_503_with_retry_after() -> None:
    response = answer(QueueUnavailable("the work queue is unavailable", retry_after=2))

    assert response.status == 503
    assert response.body == {
        "error": {"code": "queue_unavailable", "message": "the work queue is unavailable"}
    }
    assert response.headers == {"Retry-After": "2"}
