"""Benchmarks: each subpackage runs with ``python -m bench.<name>`` and reports its figures."""
