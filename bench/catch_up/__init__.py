"""Time to caught up after the SignalR emulator returns: ``python -m bench.catch_up``."""
