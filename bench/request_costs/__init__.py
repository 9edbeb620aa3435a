"""What one request of each kind costs the local stack: ``python -m bench.request_costs``."""
