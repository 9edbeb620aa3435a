"""Shared pytest set-up: each kind of real local server has its fixture module in tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.azurite",
    "tests.fixtures.chat",
    "tests.fixtures.cosmos",
    "tests.fixtures.signalr_emulator",
    "tests.fixtures.telemetry",
]
