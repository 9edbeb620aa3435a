"""Time to 503 with a dependency down: ``python -m bench.outages``."""
