"""Benchmark of docchat's send path and cold start: ``python -m bench.chat_path``."""
