"""Azurite through devstack, as ``python -m devstack --func`` starts it for ``func start``:
installed on first use from its pinned lockfile, in memory, and named by AzureWebJobsStorage,
which the Azure Storage SDK then uses as the Functions host would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from devstack.stack import STORAGE_SETTING, LocalStack, free_port

#: A first start installs Azurite (about 30 s here); later ones take a second.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack whose Azurite runs on free ports beside any a developer runs."""
    ports = (free_port(), free_port(), free_port())
    stack = LocalStack(azurite_ports=ports, log_dir=tmp_path)
    try:
        stack.start_azurite()
        yield stack
    finally:
        stack.stop()


def test_azurite_serves_blobs_at_the_storage_setting_and_forgets_them_on_restart(
    stack: LocalStack,
) -> None:
    storage = BlobServiceClient.from_connection_string(stack.settings[STORAGE_SETTING])
    container = storage.create_container("docchat-host")
    container.upload_blob("lease.txt", b"held by the host")

    assert container.download_blob("lease.txt").readall() == b"held by the host"

    stack.restart("azurite")

    assert not storage.get_container_client("docchat-host").exists()


def test_azurite_listens_on_loopback_only(stack: LocalStack) -> None:
    command = stack.child("azurite").command
    hosts = [command[i + 1] for i, part in enumerate(command) if part.endswith("Host")]

    assert hosts == ["127.0.0.1"] * 3
    assert {"--skipApiVersionCheck", "--disableTelemetry", "--inMemoryPersistence"} <= set(command)
