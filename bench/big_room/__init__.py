"""``python -m bench.big_room``: what a join and a typing event cost in a room of 500."""
