"""Azurite, the storage emulator ``func start`` needs behind ``AzureWebJobsStorage``.

It is installed on first use, from its own pinned lockfile (``package.json`` and
``package-lock.json`` beside this module, ``npm ci`` into this folder), so ``make dev`` and
``make test`` never pay for its few hundred packages. It runs in memory on loopback, with
``--skipApiVersionCheck`` (newer storage SDKs send API versions it does not know yet) and
``--disableTelemetry`` (without it Azurite phones home and ignores SIGTERM).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "ACCOUNTS_SETTING",
    "AZURITE_PORTS",
    "InstallError",
    "accounts_setting",
    "command",
    "connection_string",
    "ensure_installed",
    "installed",
]

FOLDER = Path(__file__).resolve().parent
#: Ports Azurite serves by default (blob, queue, table): what ``UseDevelopmentStorage=true``
#: names.
AZURITE_PORTS = (10000, 10001, 10002)
#: Azurite's development account and its well-known key: public, guarding nothing.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
#: Azurite's environment variable naming its accounts (``name:key;...``); with it set, only
#: those accounts exist, so the development account must be named there too.
ACCOUNTS_SETTING = "AZURITE_ACCOUNTS"
_BINARY = FOLDER / "node_modules" / ".bin" / "azurite"
#: Written after a complete ``npm ci``; older than the lockfile means install again.
_STAMP = FOLDER / "node_modules" / ".installed"
#: npm needs a while for a first install (about 30 s here); a stuck one is reported.
_INSTALL_TIMEOUT = 600


class InstallError(RuntimeError):
    """Azurite could not be installed; the message says why, with npm's last words."""


def installed() -> bool:
    """Whether this folder holds Azurite as its lockfile pins it."""
    lock = FOLDER / "package-lock.json"
    return _STAMP.is_file() and _STAMP.stat().st_mtime >= lock.stat().st_mtime


def ensure_installed() -> None:
    """Install Azurite from the lockfile unless it already is."""
    if installed():
        return
    try:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],  # noqa: S607 - npm as on PATH, like node
            cwd=FOLDER,
            check=True,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
        )
    except FileNotFoundError:
        raise InstallError("npm is not on PATH: install Node.js 20 to install Azurite") from None
    except subprocess.CalledProcessError as error:
        last = (error.stderr or error.stdout or "").strip().splitlines()[-1:]
        raise InstallError(f"npm ci for Azurite in {FOLDER} failed: {' '.join(last)}") from None
    except subprocess.TimeoutExpired:
        raise InstallError(
            f"npm ci for Azurite in {FOLDER} took over {_INSTALL_TIMEOUT} s"
        ) from None
    _STAMP.touch()


def command(ports: Sequence[int] = AZURITE_PORTS) -> list[str]:
    """Azurite in memory on loopback, serving blob, queue and table on ``ports``."""
    blob, queue, table = ports
    return [
        str(_BINARY),
        "--silent",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--inMemoryPersistence",
        *("--blobHost", "127.0.0.1", "--blobPort", str(blob)),
        *("--queueHost", "127.0.0.1", "--queuePort", str(queue)),
        *("--tableHost", "127.0.0.1", "--tablePort", str(table)),
    ]


def connection_string(ports: Sequence[int] = AZURITE_PORTS, account: str = ACCOUNT) -> str:
    """``AzureWebJobsStorage`` for ``account`` of Azurite on ``ports``:
    ``UseDevelopmentStorage=true`` spelled out, since it names the default ports and account
    only. Every account has the development account's public key."""
    blob, queue, table = (f"http://127.0.0.1:{port}/{account}" for port in ports)
    return (
        f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={blob};QueueEndpoint={queue};TableEndpoint={table};"
    )


def accounts_setting(accounts: Sequence[str]) -> str:
    """:data:`ACCOUNTS_SETTING` for the development account and ``accounts`` (each with the
    public development key): separate accounts keep separate queues, as separate storage
    accounts do in Azure."""
    return ";".join(f"{name}:{ACCOUNT_KEY}" for name in (ACCOUNT, *accounts))
