"""What may import what, read from the source (lazy imports inside functions count too).

    functions/  the wiring: may import chat, realtime, storage, azure.functions
    realtime/   the real-time adapters: chat and the backend libraries, not the wiring
    storage/    the storage adapters: chat and the database SDKs, not the wiring
    webhooks/   the webhook delivery adapter: chat, httpx and standardwebhooks, not the wiring
    telemetry/  OpenTelemetry and the Azure Monitor distro: chat's settings and shared only
    chat/       the domain and use cases: no Azure SDK, no adapter, no wiring
    signalr/    a library: knows nothing of docchat but the neutral helpers
    shared/     the neutral helpers: import nothing of docchat
Only telemetry/ imports OpenTelemetry; everything else reports through shared.signals, so
nothing loads it unless telemetry is configured.
Nothing deployed imports the local stand-ins, the tests or the benchmarks. Inside chat/,
each layer imports only those below it: the HTTP surface (api) the use cases (app), the
use cases the domain, and the domain neither (nor pydantic or PyJWT: no I/O, no HTTP).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ONLY = {"devstack", "tests", "bench"}
FORBIDDEN = {
    "chat": {
        "azure",
        "httpx",
        "standardwebhooks",
        "webhooks",
        "signalr",
        "webpubsub",
        "realtime",
        "storage",
        "functions",
        "function_app",
    },
    "storage": {"signalr", "webpubsub", "realtime", "functions", "function_app", "azure.functions"},
    "signalr": {
        "chat",
        "webpubsub",
        "realtime",
        "storage",
        "functions",
        "function_app",
        "azure.functions",
    },
    "shared": {
        "chat",
        "signalr",
        "realtime",
        "storage",
        "functions",
        "function_app",
        "azure.functions",
    },
    "realtime": {"storage", "functions", "function_app", "azure.functions"},
    "webhooks": {
        "azure",
        "signalr",
        "realtime",
        "storage",
        "functions",
        "function_app",
    },
    "functions": {"function_app", "opentelemetry"},
    "telemetry": {
        "chat.api",
        "chat.app",
        "chat.domain",
        "signalr",
        "realtime",
        "storage",
        "webhooks",
        "functions",
        "function_app",
        "azure.functions",
    },
}
#: Only telemetry/ may use OpenTelemetry (and it alone knows the telemetry package).
for _package in ("chat", "storage", "signalr", "shared", "realtime", "webhooks"):
    FORBIDDEN[_package] |= {"opentelemetry", "telemetry"}


def imported_by(package: str) -> dict[str, set[str]]:
    """Each module file of ``package`` and the modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def reaches(name: str, forbidden: set[str]) -> bool:
    return any(name == banned or name.startswith(banned + ".") for banned in forbidden)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_it_may(package: str) -> None:
    forbidden = FORBIDDEN[package] | LOCAL_ONLY
    offences = {
        module: sorted(name for name in names if reaches(name, forbidden))
        for module, names in imported_by(package).items()
    }

    assert {module: names for module, names in offences.items() if names} == {}


#: chat's own layers, and what each may not import.
CHAT_LAYERS = {
    "chat/domain": {"chat.app", "chat.api", "chat.settings", "pydantic", "jwt"},
    "chat/app": {"chat.api"},
}


@pytest.mark.parametrize("layer", sorted(CHAT_LAYERS))
def test_each_layer_of_chat_imports_only_the_layers_below(layer: str) -> None:
    offences = {
        module: sorted(name for name in names if reaches(name, CHAT_LAYERS[layer]))
        for module, names in imported_by(layer).items()
    }

    assert {module: names for module, names in offences.items() if names} == {}


def test_chat_is_in_its_layers() -> None:
    """A new module of chat/ goes in one of its layers (settings alone stands beside them)."""
    loose = {path.name for path in (ROOT / "chat").glob("*.py")}

    assert loose == {"__init__.py", "settings.py"}


def test_the_layers_cover_every_deployed_package() -> None:
    """A new product package must get its row above, or it escapes these rules."""
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}

    assert packages - LOCAL_ONLY == set(FORBIDDEN)


#: SDKs that one adapter alone may use, so each backing service has one place in the code.
ONE_ADAPTER = {
    "azure.storage.queue": "storage/queues.py",
    "azure.cosmos": "storage/cosmos/",
    "httpx": "webhooks/",
    "standardwebhooks": "webhooks/",
    "opentelemetry": "telemetry/",
    "azure.monitor": "telemetry/",
}
DEPLOYED = (
    "chat",
    "functions",
    "realtime",
    "shared",
    "signalr",
    "storage",
    "telemetry",
    "webhooks",
)


@pytest.mark.parametrize("sdk", sorted(ONE_ADAPTER))
def test_a_service_sdk_is_imported_by_its_adapter_alone(sdk: str) -> None:
    users = {
        module
        for package in DEPLOYED
        for module, names in imported_by(package).items()
        if any(reaches(name, {sdk}) for name in names)
    }

    assert users
    assert {module for module in users if not module.startswith(ONE_ADAPTER[sdk])} == set()
