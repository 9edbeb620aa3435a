"""Fan-out benchmark of the local SignalR emulator: ``python -m bench.signalr_fanout``."""
