"""Read-marker traffic, as the page makes it: ``python -m bench.read_markers``."""
