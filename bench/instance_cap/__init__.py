"""``python -m bench.instance_cap``: what Flex Consumption's per-instance HTTP concurrency does
to one instance serving an I/O-bound send (docs/capacity.md chooses the value from it)."""
