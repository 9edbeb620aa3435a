"""infra/ creates the work queues storage/queues.py uses, with the poison queues the queue
trigger moves a message to after its last try (QueueListenerFactory: ``<queue>-poison``),
on the storage account whose queue endpoint DOCCHAT_QUEUE__queueServiceUri names."""

from typing import Any

from devstack.host.queue_listener import POISON_SUFFIX
from storage.queues import OUTBOX_QUEUE, WEBHOOKS_QUEUE
from tests.infra.bicep import INFRA, Template

MAIN = Template(INFRA / "main.bicep")


def storage_params() -> dict[str, Any]:
    module = MAIN.module("storage", {})
    assert isinstance(module, dict)
    params: dict[str, Any] = module["params"]
    return params


def test_the_work_queues_and_their_poison_queues_are_created() -> None:
    queues = {queue["name"] for queue in storage_params()["queueServices"]["queues"]}

    work = {OUTBOX_QUEUE, WEBHOOKS_QUEUE}
    assert queues == work | {name + POISON_SUFFIX for name in work}
