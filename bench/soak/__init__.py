"""Soak of the whole local stack: ``python -m bench.soak``."""
