"""``python -m bench.hot_document``: how many messages a second one document takes."""
