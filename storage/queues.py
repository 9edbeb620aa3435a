"""docchat's work queues (:class:`chat.app.queues.Queues`) on Azure Storage queues, through
azure-storage-queue; Azurite locally.

**Settings.** ``DOCCHAT_QUEUE`` is read as the Functions host reads a queue trigger's
``connection``: a connection string (Azurite locally), or, keyless,
``DOCCHAT_QUEUE__queueServiceUri`` with ``DOCCHAT_QUEUE__credential=managedidentity`` and
``DOCCHAT_QUEUE__clientId`` for a user-assigned identity (without ``__credential``,
``DefaultAzureCredential`` with that client id, as Microsoft.Extensions.Azure's
``ClientFactory.CreateCredential`` builds it). Neither: :func:`load_queues` answers None and
the app runs without post-commit work.

**Queues.** ``docchat-outbox`` and ``docchat-webhooks``. In Azure, infra/ creates both with
the storage account, and the app's identity may only send, update and delete messages
(Storage Queue Data Contributor could create them too). Locally nobody does, so a put that
finds its queue missing creates it and tries once more: a healthy path never pays for it.

**Bodies.** Plain JSON text, no Base64 (host.json ``extensions.queues.messageEncoding`` is
``none`` for the triggers that read them); a message may hold 64 KiB and lives 7 days (the
service's default time to live).

**Failures.** Each request has connect and read timeouts and one quick retry; an
unreachable or failing service (5xx, 408, 429) is
:class:`~chat.domain.errors.QueueUnavailable`, a refusal of docchat's own credentials
(401, 403) :class:`~chat.domain.errors.Misconfigured`.

azure.storage.queue (and azure-identity) are imported on the first queue call, so an app
that never queues anything pays nothing for them at cold start.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chat.app.queues import Queues, Ticket
from chat.domain.errors import Misconfigured, QueueUnavailable
from chat.settings import SettingsError, optional_setting
from shared.once import Once, built_once

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.storage.queue import QueueClient, QueueServiceClient

__all__ = [
    "OUTBOX_QUEUE",
    "QUEUE_SETTING",
    "WEBHOOKS_QUEUE",
    "QueueSettings",
    "StorageQueue",
    "StorageQueues",
    "load_queue_settings",
    "load_queues",
]

#: The app setting that names the storage account, as a queue trigger's ``connection`` does.
QUEUE_SETTING = "DOCCHAT_QUEUE"
OUTBOX_QUEUE = "docchat-outbox"
WEBHOOKS_QUEUE = "docchat-webhooks"
#: Connect and read timeouts (seconds) of one request, and one retry after a random pause
#: of up to a second: the storage SDK's default (three retries from 15 s apart) would hold
#: a send for a minute. A healthy queue answers in milliseconds; the worst case is 7 s.
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 2
RETRIES = 1
#: Error codes that mean the message is no longer where the ticket left it: deleted,
#: expired, or taken by a consumer since (which gave it a new pop receipt).
_MESSAGE_MOVED_ON = frozenset({"MessageNotFound", "PopReceiptMismatch"})


@dataclass(frozen=True)
class QueueSettings:
    """Where the queues are: a connection string, or a queue service URI reached with
    Microsoft Entra ID (a managed identity when ``managed_identity``, user-assigned with
    ``client_id``)."""

    connection_string: str | None = field(default=None, repr=False)
    service_uri: str | None = None
    managed_identity: bool = False
    client_id: str | None = None


def load_queue_settings(environ: Mapping[str, str]) -> QueueSettings | None:
    """The queue settings, None when none are set; :class:`SettingsError` when they say
    two things at once or name an unknown credential."""
    name = QUEUE_SETTING
    text = optional_setting(environ, name)
    service_uri = optional_setting(environ, f"{name}__queueServiceUri")
    if text is not None and service_uri is not None:
        raise SettingsError(
            f"set {name} (a connection string) or {name}__queueServiceUri (Microsoft Entra ID), "
            "not both"
        )
    if text is not None:
        return QueueSettings(connection_string=text)
    if service_uri is None:
        return None
    if not service_uri.startswith(("https://", "http://")):
        raise SettingsError(f"{name}__queueServiceUri must be an absolute https URL")
    credential = optional_setting(environ, f"{name}__credential")
    if credential is not None and credential.lower() != "managedidentity":
        raise SettingsError(
            f"{name}__credential must be managedidentity, or unset for DefaultAzureCredential"
        )
    return QueueSettings(
        service_uri=service_uri,
        managed_identity=credential is not None,
        client_id=optional_setting(environ, f"{name}__clientId"),
    )


def load_queues(environ: Mapping[str, str]) -> Queues | None:
    """docchat's queues, or None when ``DOCCHAT_QUEUE`` is not set (no post-commit work)."""
    settings = load_queue_settings(environ)
    return None if settings is None else StorageQueues(settings)


class StorageQueues:
    """:class:`chat.app.queues.Queues` in one storage account; each queue built on first use,
    all over one service client (one credential, one pool of connections)."""

    def __init__(self, settings: QueueSettings) -> None:
        self.settings = settings
        self._service = Once(lambda: _service_client(settings))

    @built_once
    def outbox(self) -> StorageQueue:
        return self._queue(OUTBOX_QUEUE)

    @built_once
    def webhooks(self) -> StorageQueue:
        return self._queue(WEBHOOKS_QUEUE)

    def _queue(self, name: str) -> StorageQueue:
        return StorageQueue(Once(lambda: self._service.get().get_queue_client(name)))


class StorageQueue:
    """:class:`chat.app.queues.WorkQueue` on one Azure Storage queue, whose client is made
    on the first call."""

    def __init__(self, client: Once[QueueClient]) -> None:
        self._client = client

    @property
    def client(self) -> QueueClient:
        return self._client.get()

    def put(self, body: Mapping[str, Any], *, hidden_for: float = 0.0) -> Ticket:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        hidden = math.ceil(hidden_for)
        with _answered():
            from azure.core.exceptions import ResourceNotFoundError

            try:
                sent = self.client.send_message(text, visibility_timeout=hidden)
            except ResourceNotFoundError:
                self._create()
                sent = self.client.send_message(text, visibility_timeout=hidden)
        return Ticket(sent.id, sent.pop_receipt or "")

    def reveal(self, ticket: Ticket) -> None:
        with _answered(), _unless_moved_on():
            self.client.update_message(ticket.message_id, ticket.pop_receipt, visibility_timeout=0)

    def remove(self, ticket: Ticket) -> None:
        with _answered(), _unless_moved_on():
            self.client.delete_message(ticket.message_id, ticket.pop_receipt)

    def _create(self) -> None:
        """Create the missing queue (locally: infra/ creates them in Azure); one created
        meanwhile by another caller is as good."""
        from azure.core.exceptions import ResourceExistsError

        with suppress(ResourceExistsError):
            self.client.create_queue()


@contextmanager
def _unless_moved_on() -> Iterator[None]:
    """Let a message that is gone, or taken by a consumer since, count as done."""
    from azure.core.exceptions import HttpResponseError

    try:
        yield
    except HttpResponseError as error:
        if getattr(error, "error_code", None) in _MESSAGE_MOVED_ON:
            return
        raise


@contextmanager
def _answered() -> Iterator[None]:
    """Turn the queue service's failures into chat's: an outage is
    :class:`QueueUnavailable`, a refusal of docchat's credentials :class:`Misconfigured`."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    try:
        yield
    except ClientAuthenticationError as error:
        raise Misconfigured(_refused(error.status_code)) from None
    except (ServiceRequestError, ServiceResponseError):
        raise _outage() from None
    except HttpResponseError as error:
        if error.status_code in (401, 403):
            raise Misconfigured(_refused(error.status_code)) from None
        if error.status_code is not None and (
            error.status_code >= 500 or error.status_code in (408, 429)
        ):
            raise _outage() from None
        raise


def _refused(status: int | None) -> str:
    answer = f" ({status})" if status else ""
    return (
        f"the queue service refused docchat's credentials{answer}: check {QUEUE_SETTING} "
        "or the identity's Storage Queue Data roles"
    )


def _outage() -> QueueUnavailable:
    return QueueUnavailable("the work queue is unavailable; try again shortly")


def _service_client(settings: QueueSettings) -> QueueServiceClient:
    from azure.storage.queue import LinearRetry, QueueServiceClient

    from shared.pooled_http import pooled_transport

    options: dict[str, Any] = {
        "transport": pooled_transport(
            connection_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS
        ),
        "retry_policy": LinearRetry(backoff=0, retry_total=RETRIES, random_jitter_range=1),
    }
    if settings.connection_string is not None:
        return QueueServiceClient.from_connection_string(settings.connection_string, **options)
    assert settings.service_uri is not None
    return QueueServiceClient(settings.service_uri, credential=_credential(settings), **options)


def _credential(settings: QueueSettings) -> TokenCredential:
    from azure import identity

    if settings.managed_identity:
        return identity.ManagedIdentityCredential(client_id=settings.client_id)
    return identity.DefaultAzureCredential(managed_identity_client_id=settings.client_id)
