"""``python -m bench.reconnect_storm``: 100 clients reconnect at once after an emulator restart."""
